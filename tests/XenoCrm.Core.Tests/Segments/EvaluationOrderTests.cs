using System.Text.Json;
using XenoCrm.Core.Data;
using XenoCrm.Core.Segments;

namespace XenoCrm.Core.Tests.Segments;

public sealed class EvaluationOrderTests
{
    private static RuleGroup Parse(string json)
    {
        using var document = JsonDocument.Parse(json);
        var (tree, errors) = SegmentRulesParser.Parse(document.RootElement.Clone());
        Assert.Empty(errors);
        return tree!;
    }

    private static string Describe(RuleNode node) => node switch
    {
        Rule rule => $"{rule.Field.Name} {rule.Operator}",
        RuleGroup group => $"{(group.Not ? "not " : "")}{(group.IsOr ? "or" : "and")}({string.Join(", ", group.Rules.Select(Describe))})",
        _ => throw new ArgumentOutOfRangeException(nameof(node)),
    };

    [Fact]
    public void Arrange_PutsCheapLikelyFalsePartsFirst_InAnAnd()
    {
        var tree = Parse("""
            { "op": "and", "rules": [
                { "op": "or", "rules": [
                    { "field": "name", "operator": "contains", "value": "sh" },
                    { "field": "name", "operator": "contains", "value": "kumar" } ] },
                { "field": "email", "operator": "ends_with", "value": "7@demo.example" },
                { "field": "city", "operator": "starts_with", "value": "B" },
                { "field": "total_spend", "operator": "gt", "value": 100 } ] }
            """);

        Assert.Equal(
            ["total_spend gt", "city starts_with", "email ends_with", "or(name contains, name contains)"],
            EvaluationOrder.Arrange(tree).Select(Describe));
    }

    [Fact]
    public void Arrange_PutsANegatedSelectiveGroupFirst_InAnOr_AndOrdersInsideIt()
    {
        var tree = Parse(SegmentExamples.Design);

        var arranged = EvaluationOrder.Arrange(tree);

        Assert.Equal(["not and(city equals, order_count lt)", "and(total_spend gt, last_order_at in_last_days)"], arranged.Select(Describe));
        Assert.Equal(["order_count lt", "city equals"], EvaluationOrder.Arrange((RuleGroup)arranged[0]).Select(Describe));
    }

    [Fact]
    public void Arrange_KeepsTheUsersOrder_ForPartsEstimatedAlike()
    {
        var tree = Parse("""
            { "op": "or", "rules": [
                { "field": "country", "operator": "equals", "value": "Nepal" },
                { "field": "city", "operator": "equals", "value": "Pune" },
                { "field": "country", "operator": "equals", "value": "India" } ] }
            """);

        Assert.Equal(tree.Rules, EvaluationOrder.Arrange(tree));
    }

    [Fact]
    public void Compile_WritesTheConditionsInTheArrangedOrder()
    {
        var tree = Parse("""
            { "op": "and", "rules": [
                { "field": "name", "operator": "contains", "value": "sh" },
                { "field": "city", "operator": "starts_with", "value": "B" } ] }
            """);

        var predicate = SegmentCompiler.Compile(tree, DateTime.UtcNow, CrmDatabaseProvider.MySql).Body.ToString();

        Assert.True(predicate.IndexOf("c.City", StringComparison.Ordinal) < predicate.IndexOf("c.Name", StringComparison.Ordinal), predicate);
    }
}
