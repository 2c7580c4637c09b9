using System.Globalization;
using XenoCrm.Core.Campaigns;

namespace XenoCrm.Core.Tests.Campaigns;

public sealed class MessageTemplateTests
{
    private static readonly TemplateCustomer Asha = new(
        Id: 7, Name: "Asha Rao", Email: "asha@example.com", Phone: "+91 98765 43210", City: "Pune", Country: "IN",
        SignedUpAt: new DateTime(2023, 1, 15, 23, 30, 0, DateTimeKind.Utc), TotalSpend: 1234.5m, OrderCount: 3,
        AvgOrderValue: 411.50m, FirstOrderAt: new DateTime(2023, 2, 1, 8, 0, 0, DateTimeKind.Utc),
        LastOrderAt: new DateTime(2024, 12, 31, 0, 0, 0, DateTimeKind.Utc));

    private static MessageTemplate Compile(string source)
    {
        var result = MessageTemplate.Parse(source);
        Assert.True(result.Succeeded, string.Join("; ", result.Errors.Select(e => e.Message)));
        return result.Template;
    }

    private static TemplateError SingleError(string source)
    {
        var result = MessageTemplate.Parse(source);
        Assert.False(result.Succeeded);
        return Assert.Single(result.Errors);
    }

    [Theory]
    [InlineData("")]
    [InlineData(null)]
    public void Render_UsesTheDefault_WhenTheNameIsEmptyOrMissing(string? name)
    {
        var template = Compile("""Hi {{ customer.name | default: "there" }}, here's 10% off on your next order!""");

        Assert.Equal("Hi there, here's 10% off on your next order!", template.Render(Asha with { Name = name! }));
        Assert.Equal("Hi Asha Rao, here's 10% off on your next order!", template.Render(Asha));
    }

    [Fact]
    public void Render_ReadsEveryCatalogField()
    {
        var expected = new Dictionary<string, string>
        {
            ["customer.name"] = "Asha Rao",
            ["customer.first_name"] = "Asha",
            ["customer.email"] = "asha@example.com",
            ["customer.phone"] = "+91 98765 43210",
            ["customer.city"] = "Pune",
            ["customer.country"] = "IN",
            ["customer.signed_up_at"] = "2023-01-15",
            ["customer.total_spend"] = "1234.5",
            ["customer.order_count"] = "3",
            ["customer.avg_order_value"] = "411.5",
            ["customer.first_order_at"] = "2023-02-01",
            ["customer.last_order_at"] = "2024-12-31",
        };

        Assert.Equal(expected.Keys.Order(), TemplateCustomer.Fields.Order());
        foreach (var field in TemplateCustomer.Fields)
        {
            Assert.Equal(expected[field], Compile($"{{{{ {field} }}}}").Render(Asha));
        }
    }

    [Fact]
    public void Render_FormatsNumbersAndDatesInvariantly_WhateverTheThreadCulture()
    {
        var template = Compile("{{ customer.total_spend }}|{{ customer.avg_order_value | plus: 0.25 }}|{{ customer.last_order_at }}|{{ customer.last_order_at | date: '%d %b %Y' }}");
        var original = CultureInfo.CurrentCulture;
        try
        {
            CultureInfo.CurrentCulture = CultureInfo.GetCultureInfo("de-DE");
            Assert.Equal("1234.5|411.75|2024-12-31|31 Dec 2024", template.Render(Asha));
        }
        finally
        {
            CultureInfo.CurrentCulture = original;
        }
    }

    [Fact]
    public void Render_LeavesEmptyFieldsEmpty_WhenTheyAreNull()
    {
        var template = Compile("[{{ customer.phone }}|{{ customer.avg_order_value }}|{{ customer.last_order_at | default: 'never' }}]");

        Assert.Equal("[||never]", template.Render(Asha with { Phone = null, AvgOrderValue = null, LastOrderAt = null }));
    }

    [Fact]
    public void Parse_ReportsTheLineAndColumn_OfASyntaxError()
    {
        var error = SingleError("Hello {{ customer.first_name }},\nyour total is {{ customer.total_spend | }} today.");

        // Fluid points right after the '|', where the filter's name should start.
        Assert.Equal(2, error.Line);
        Assert.Equal(40, error.Column);
        Assert.Contains("(line 2, column 40)", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_ReportsAnUnclosedTag()
    {
        var error = SingleError("Hi\n{% if customer.city %}Pune!");

        Assert.Equal(2, error.Line);
        Assert.Contains("endif", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_NamesAnUnknownCustomerField_WithItsPlace()
    {
        var error = SingleError("Hi\n  {{ customer.nmae }}!");

        Assert.Equal((2, 6), (error.Line, error.Column));
        Assert.StartsWith("Unknown field 'customer.nmae' (line 2, column 6). Available: customer.name, customer.first_name,", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_NamesAnUnknownField_InABranchThatWouldNotRun()
    {
        var error = SingleError("""{% if false %}{{ customer["lifetime_value"] }}{% endif %}""");

        Assert.Equal((1, 18), (error.Line, error.Column));
        Assert.StartsWith("Unknown field 'customer.lifetime_value'", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_NamesAnUnknownTopLevelVariable()
    {
        var error = SingleError("Hi {{ customer.name }}, use {{ promo_code }} today");

        Assert.Equal((1, 32), (error.Line, error.Column));
        Assert.StartsWith("Unknown field 'promo_code'", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_RefusesTheBareCustomer_WhichWouldPrintTheWholeRecord()
    {
        Assert.StartsWith("Unknown field 'customer' (line 1, column 7).", SingleError("Hi {{ customer }}").Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_NamesAnUnknownFilter()
    {
        var error = SingleError("{{ customer.name | shout }}");

        Assert.Equal("Unknown filter 'shout' (line 1, column 18).", error.Message);
    }

    [Fact]
    public void Parse_AcceptsTheTemplatesOwnVariables()
    {
        var template = Compile("""
            {%- assign greeting = "Hello" -%}
            {%- capture who %}{{ customer.first_name | upcase }}{% endcapture -%}
            {%- for i in (1..3) %}{{ greeting }} {{ who }}{{ forloop.index }}{% unless forloop.last %}, {% endunless %}{% endfor -%}
            {%- if customer.city == empty %} nowhere{% endif %}
            """);

        Assert.Equal("Hello ASHA1, Hello ASHA2, Hello ASHA3", template.Render(Asha));
    }

    [Fact]
    public void Render_FailsClearly_WhenTheOutputOutgrowsTheLimit()
    {
        var template = Compile("{% for i in (1..5000) %}{{ customer.email }}{% endfor %}");

        var error = Assert.Throws<TemplateRenderException>(() => template.Render(Asha));
        Assert.Equal("The message is longer than the 20,000 characters it may have.", error.Message);
    }

    [Fact]
    public void Render_FailsClearly_WhenACaptureOutgrowsTheLimit()
    {
        var template = Compile("{% capture x %}{% for i in (1..5000) %}{{ customer.email }}{% endfor %}{% endcapture %}{{ x | size }}");

        Assert.Throws<TemplateRenderException>(() => template.Render(Asha));
    }

    [Fact]
    public void Render_FailsClearly_WhenAStringDoublesInALoop()
    {
        var template = Compile("{% assign s = customer.name %}{% for i in (1..40) %}{% assign s = s | append: s %}{% endfor %}{{ s | size }}");

        var error = Assert.Throws<TemplateRenderException>(() => template.Render(Asha));
        Assert.Contains("'append' filter", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Render_FailsBeforeReplaceMultipliesTheText()
    {
        var template = Compile("""{% assign s = "aaaaaaaaaa" | replace: "a", "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb" %}{% assign s = s | replace: "b", "cccccccccccccccccccccccccccccccccccccccccccccccccc" %}{{ s | size }}""");

        var error = Assert.Throws<TemplateRenderException>(() => template.Render(Asha));
        Assert.Contains("'replace' filter", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Render_RefusesAHugeRange_BeforeBuildingIt()
    {
        var template = Compile("{% for i in (1..100000000) %}{% break %}{% endfor %}done");

        var error = Assert.Throws<TemplateRenderException>(() => template.Render(Asha));
        Assert.StartsWith("The range (1..100000000) is longer than", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Render_StopsAtTheStepLimit_OnAPathologicalTemplate()
    {
        // Each loop is small enough for the range bound; together they run 10^9 iterations, outputting nothing.
        var template = Compile("{% for a in (1..1000) %}{% for b in (1..1000) %}{% for c in (1..1000) %}{% endfor %}{% endfor %}{% endfor %}");

        var error = Assert.Throws<TemplateRenderException>(() => template.Render(Asha));
        Assert.StartsWith("The message needs more than the 10,000 steps", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("{% include 'x' %}")]
    [InlineData("{% render 'x' %}")]
    [InlineData("{% liquid\n include 'x' %}")]
    public void Parse_RefusesTagsThatReadFiles(string source)
    {
        var error = SingleError(source);

        Assert.Contains(source.Contains("render", StringComparison.Ordinal) ? "render" : "include", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Render_DoesNotEncodeHtml()
    {
        var template = Compile("<b>&{{ customer.name }}</b> {{ customer.name | append: ' <i>&</i>' }}");

        Assert.Equal("<b>&Tom & \"Jerry\"</b> Tom & \"Jerry\" <i>&</i>", template.Render(Asha with { Name = "Tom & \"Jerry\"" }));
    }

    [Fact]
    public void FromPlaceholders_TurnsBracketsIntoLiquid_AndLeavesUnknownOnesAlone()
    {
        var source = MessageTemplate.FromPlaceholders("Hi [Name] ([firstname]) from [City], you spent [TotalSpend]. [Coupon]");

        Assert.Equal("Hi {{ customer.name }} ({{ customer.first_name }}) from {{ customer.city }}, you spent {{ customer.total_spend }}. [Coupon]", source);
        Assert.Equal("Hi Asha Rao (Asha) from Pune, you spent 1234.5. [Coupon]", Compile(source).Render(Asha));
    }

    [Theory]
    [InlineData("   \n ")]
    [InlineData(null)]
    public void Parse_RefusesAnEmptyTemplate(string? source)
    {
        Assert.Equal("The message is empty.", SingleError(source!).Message);
    }

    [Fact]
    public void Parse_RefusesATemplateOverTheMaximumLength()
    {
        Assert.Contains("at most 10,000", SingleError(new string('x', Campaign.TemplateMaxLength + 1)).Message, StringComparison.Ordinal);
        Assert.True(MessageTemplate.Parse(new string('x', Campaign.TemplateMaxLength)).Succeeded);
    }

    [Fact]
    public void Render_GivesEachCustomerTheirOwnMessage_FromManyThreads()
    {
        var template = Compile("""{% assign n = customer.order_count | plus: 1 %}Hi {{ customer.first_name }}, order #{{ n }} ships to {{ customer.city }}""");
        var rendered = new string[2_000];

        Parallel.For(0, rendered.Length, i =>
            rendered[i] = template.Render(Asha with { Id = i, Name = $"C{i} X", OrderCount = i, City = $"City{i}" }));

        for (var i = 0; i < rendered.Length; i++)
        {
            Assert.Equal($"Hi C{i}, order #{i + 1} ships to City{i}", rendered[i]);
        }
    }
}
