using System.Text.Json;
using XenoCrm.Core.Segments;

namespace XenoCrm.Core.Tests.Segments;

public sealed class SegmentRulesParserTests
{
    private static (RuleGroup? Tree, IReadOnlyList<SegmentError> Errors) Parse(string json)
    {
        using var document = JsonDocument.Parse(json);
        return SegmentRulesParser.Parse(document.RootElement.Clone());
    }

    private static string Rule(string field, string op, string value) => $$"""{"field":"{{field}}","operator":"{{op}}","value":{{value}}}""";

    [Fact]
    public void Parse_ReadsTheDesignExample_IntoTypedRules()
    {
        var (tree, errors) = Parse(SegmentExamples.Design);

        Assert.Empty(errors);
        Assert.NotNull(tree);
        Assert.True(tree.IsOr);
        var first = Assert.IsType<RuleGroup>(tree.Rules[0]);
        Assert.Equal(new NumberValue(10000), Assert.IsType<Rule>(first.Rules[0]).Value);
        Assert.Equal(new DaysValue(90), Assert.IsType<Rule>(first.Rules[1]).Value);
        var second = Assert.IsType<RuleGroup>(tree.Rules[1]);
        Assert.True(second.Not);
        Assert.Equal(new TextValue("Pune"), Assert.IsType<Rule>(second.Rules[0]).Value);
    }

    [Theory]
    [InlineData("total_spend", "between", "[5]", "group 2, rule 3: 'between' needs two numbers, the lower first.")]
    [InlineData("total_spend", "between", "[9, 5]", "group 2, rule 3: 'between' needs two numbers, the lower first.")]
    [InlineData("total_spend", "contains", "\"9\"", "group 2, rule 3: 'contains' does not apply to number field 'total_spend'. Use one of: equals, not_equals, gt, gte, lt, lte, between.")]
    [InlineData("city", "gt", "5", "group 2, rule 3: 'gt' does not apply to text field 'city'. Use one of: equals, not_equals, contains, starts_with, ends_with, in, is_empty, is_not_empty.")]
    [InlineData("order_count", "gt", "\"5\"", "group 2, rule 3: 'gt' needs a number.")]
    [InlineData("city", "equals", "\"   \"", "group 2, rule 3: 'equals' needs a text of 1 to 200 characters.")]
    [InlineData("city", "is_empty", "\"x\"", "group 2, rule 3: 'is_empty' takes no value.")]
    [InlineData("city", "in", "[]", "group 2, rule 3: 'in' needs a list of 1 to 100 texts.")]
    [InlineData("last_order_at", "in_last_days", "0", "group 2, rule 3: 'in_last_days' needs a whole number of days from 1 to 36500.")]
    [InlineData("last_order_at", "before", "\"31/12/2024\"", "group 2, rule 3: 'before' needs a date (YYYY-MM-DD).")]
    [InlineData("signed_up_at", "between", "[\"2025-02-01\", \"2025-01-01\"]", "group 2, rule 3: 'between' needs two dates (YYYY-MM-DD), the earlier first.")]
    [InlineData("lifetime_value", "gt", "5", "group 2, rule 3: Unknown field 'lifetime_value'. Fields: name, email, email_domain, city, country, signed_up_at, total_spend, order_count, avg_order_value, first_order_at, last_order_at.")]
    public void Parse_NamesTheRulesPlaceAndTheMistake(string field, string op, string value, string expected)
    {
        var (tree, errors) = Parse($$"""
            { "op": "and", "rules": [
                {{Rule("city", "equals", "\"Pune\"")}},
                { "op": "or", "rules": [ {{Rule("order_count", "gt", "1")}}, {{Rule("email", "ends_with", "\"@x.com\"")}}, {{Rule(field, op, value)}} ] } ] }
            """);

        Assert.Null(tree);
        Assert.Equal(expected, Assert.Single(errors).ToString());
    }

    [Fact]
    public void Parse_RefusesTreesDeeperThanFive()
    {
        var json = Rule("city", "equals", "\"Pune\"");
        for (var i = 0; i < 6; i++)
        {
            json = $$"""{ "op": "and", "rules": [ {{json}} ] }""";
        }

        var (tree, errors) = Parse(json);

        Assert.Null(tree);
        Assert.Equal("group 1, group 1, group 1, group 1, group 1: Groups nest at most 5 deep.", Assert.Single(errors).ToString());
    }

    [Fact]
    public void Parse_AcceptsExactlyFiftyRules()
    {
        var rules = string.Join(",", Enumerable.Repeat(Rule("city", "equals", "\"Pune\""), 50));

        var (tree, errors) = Parse($$"""{ "op": "or", "rules": [ {{rules}} ] }""");

        Assert.Empty(errors);
        Assert.Equal(50, tree!.Rules.Count);
    }

    [Fact]
    public void Parse_RefusesMoreThanFiftyRules_WithOneBoundedAnswer()
    {
        var rules = string.Join(",", Enumerable.Repeat(Rule("city", "equals", "\"Pune\""), 10_000));

        var (tree, errors) = Parse($$"""{ "op": "or", "rules": [ {{rules}} ] }""");

        Assert.Null(tree);
        Assert.Equal("A segment has at most 50 rules.", Assert.Single(errors).Message);
    }

    [Fact]
    public void Parse_CollectsEveryMistake_ButAtMostTwentyFive()
    {
        var rules = string.Join(",", Enumerable.Range(0, 40).Select(_ => Rule("nope", "gt", "1")));

        var (_, errors) = Parse($$"""{ "op": "or", "rules": [ {{rules}} ] }""");

        Assert.Equal(25, errors.Count);
        Assert.Equal("rule 1", errors[0].Path);
        Assert.Equal("rule 25", errors[24].Path);
    }

    [Theory]
    [InlineData("x' OR '1'='1")]
    [InlineData("`; DROP TABLE customers; --")]
    [InlineData("\" UNION SELECT email FROM customers --")]
    [InlineData("‘curly’ “quotes” ʼ")]
    public void Parse_KeepsHostileTextAsALiteralValue(string hostile)
    {
        var (tree, errors) = Parse($$"""{ "op": "and", "rules": [ {{Rule("city", "equals", JsonSerializer.Serialize(hostile))}} ] }""");

        Assert.Empty(errors);
        Assert.Equal(new TextValue(hostile.Trim()), Assert.IsType<Rule>(tree!.Rules[0]).Value);
    }

    [Theory]
    [InlineData("""{ "op": "and", "rules": [ { "field": "city; DROP TABLE customers", "operator": "equals", "value": "x" } ] }""", "rule 1: Unknown field 'city; DROP TABLE customers'.")]
    [InlineData("""{ "op": "and", "rules": [ { "field": "city", "operator": "= 'x' OR 1=1 --", "value": "x" } ] }""", "rule 1: '= 'x' OR 1=1 --' does not apply to text field 'city'.")]
    [InlineData("""{ "op": "xor", "rules": [ { "field": "city", "operator": "equals", "value": "x" } ] }""", "A group's \"op\" must be \"and\" or \"or\".")]
    [InlineData("""{ "op": "and", "sql": "1=1", "rules": [ { "field": "city", "operator": "equals", "value": "x" } ] }""", "Unknown member 'sql'.")]
    [InlineData("""{ "op": "and", "rules": [ { "field": "city", "operator": "equals", "value": "x", "raw": true } ] }""", "rule 1: Unknown member 'raw'.")]
    [InlineData("""{ "op": "and", "rules": [ { "op": "or", "rules": [] } ] }""", "group 1: A group needs at least one rule.")]
    [InlineData("""{ "op": "and", "rules": [] }""", "A segment needs at least one rule.")]
    [InlineData("""[ { "field": "city", "operator": "equals", "value": "x" } ]""", "A group must be a JSON object with \"op\" and \"rules\".")]
    [InlineData("""{ "op": "and", "rules": [ { "field": "city", "operator": "equals", "value": "\ud800" } ] }""", "The rules contain text that is not valid Unicode.")]
    [InlineData("""{ "version": 2, "op": "and", "rules": [ { "field": "city", "operator": "equals", "value": "x" } ] }""", "Unknown rules version; this server reads version 1.")]
    public void Parse_RefusesMalformedTrees_WithANamedReason(string json, string expectedStart)
    {
        var (tree, errors) = Parse(json);

        Assert.Null(tree);
        Assert.StartsWith(expectedStart, Assert.Single(errors).ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_ShortensAHugeFieldNameInItsError()
    {
        var (_, errors) = Parse($$"""{ "op": "and", "rules": [ {{Rule(new string('f', 100_000), "equals", "\"x\"")}} ] }""");

        Assert.True(Assert.Single(errors).Message.Length < 400);
    }
}

public sealed class SegmentRulesJsonTests
{
    [Fact]
    public void Write_GivesJsonThatReadsBackToTheSameTree_WithItsVersion()
    {
        const string json = """
            { "op": "or", "rules": [
                { "op": "and", "not": true, "rules": [
                    { "field": "total_spend", "operator": "between", "value": [100, 2500.5] },
                    { "field": "city", "operator": "in", "value": ["Pune", "O'Brien \"x\""] },
                    { "field": "signed_up_at", "operator": "between", "value": ["2025-01-01", "2025-03-31"] } ] },
                { "field": "last_order_at", "operator": "more_than_days_ago", "value": 90 },
                { "field": "last_order_at", "operator": "is_empty" },
                { "field": "email_domain", "operator": "equals", "value": "shop.test" } ] }
            """;
        using var document = JsonDocument.Parse(json);
        var (tree, _) = SegmentRulesParser.Parse(document.RootElement);

        var written = SegmentRulesJson.Write(tree!);
        var reread = SegmentRulesJson.Read(written);

        Assert.StartsWith("{\"version\":1,", written, StringComparison.Ordinal);
        Assert.Equal(SegmentRulesJson.Write(reread), written);
        Assert.Equal(4, reread.Rules.Count);
        Assert.Equal(new NumberRangeValue(100, 2500.5m), Assert.IsType<Rule>(Assert.IsType<RuleGroup>(reread.Rules[0]).Rules[0]).Value);
    }
}
