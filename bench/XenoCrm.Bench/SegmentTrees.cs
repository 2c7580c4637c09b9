using System.Globalization;
using System.Text.Json.Nodes;

namespace XenoCrm.Bench;

/// <summary>
/// One rule tree of the segment scenario: the wire JSON the preview endpoint gets (README.md, "Sending data"), and the same
/// audience as a DBA would count it by hand.
/// </summary>
/// <param name="Name">Short name for the table.</param>
/// <param name="Rules">The tree, the value of <c>"rules"</c> in a preview request.</param>
/// <param name="Sql">A <c>SELECT COUNT(*) FROM customers WHERE …</c> written the natural way, not derived from the tree.</param>
public sealed record SegmentTree(string Name, JsonObject Rules, string Sql);

/// <summary>
/// The trees the scenario times, with values that exist in the seeded data (XenoCrm.Core/Seeding/DemoData.cs: 70% of
/// customers in 20 Indian cities, the rest in 17 cities abroad, emails at <c>demo.xenocrm.example</c>, sign-ups over the
/// last three years, 18% who never ordered). Dates are relative to the day of the run, as the seeded data is.
/// </summary>
public static class SegmentTrees
{
    private const string DemoEmailDomain = "demo.xenocrm.example";

    public static IReadOnlyList<SegmentTree> All(DateTime todayUtc)
    {
        var today = DateOnly.FromDateTime(todayUtc);
        var signedUpFrom = today.AddDays(-900);
        var signedUpTo = today.AddDays(-200);
        var firstOrderBefore = today.AddDays(-365);
        string[] cities = ["Jaipur", "Lucknow", "Kochi", "Chandigarh", "Indore", "Bhopal", "Nagpur", "Surat", "Toronto", "Berlin"];

        return
        [
            new("simple: total_spend > 10000",
                Group("and", Rule("total_spend", "gt", 10000)),
                "SELECT COUNT(*) FROM customers WHERE total_spend > 10000"),

            new("nested: and, or, not",
                Group("or",
                    Group("and", Rule("total_spend", "gt", 10000), Rule("last_order_at", "in_last_days", 90)),
                    Not(Group("and", Rule("city", "equals", "Pune"), Rule("order_count", "lt", 2)))),
                """
                SELECT COUNT(*) FROM customers
                WHERE (total_spend > 10000 AND last_order_at >= UTC_TIMESTAMP(6) - INTERVAL 90 DAY)
                   OR NOT (city = 'Pune' AND order_count < 2)
                """),

            new("wide OR: 10 cities, countries, domain, name",
                Group("or",
                    Rule("city", "in", new JsonArray([.. cities.Select(c => (JsonNode)c)])),
                    Rule("country", "equals", "Singapore"),
                    Rule("country", "equals", "Nepal"),
                    Rule("email_domain", "equals", "example.com"),
                    Rule("name", "starts_with", "Zara")),
                $"""
                SELECT COUNT(*) FROM customers
                WHERE city IN ({string.Join(", ", cities.Select(c => $"'{c}'"))})
                   OR country IN ('Singapore', 'Nepal')
                   OR email LIKE '%@example.com'
                   OR name LIKE 'Zara%'
                """),

            new("date-heavy: signed up between, first order before, lapsed or never",
                Group("and",
                    Rule("signed_up_at", "between", new JsonArray(Day(signedUpFrom), Day(signedUpTo))),
                    Group("or",
                        Group("and", Rule("first_order_at", "before", Day(firstOrderBefore)), Rule("last_order_at", "more_than_days_ago", 180)),
                        Rule("last_order_at", "is_empty", null))),
                $"""
                SELECT COUNT(*) FROM customers
                WHERE signed_up_at >= '{Day(signedUpFrom)}' AND signed_up_at < '{Day(signedUpTo.AddDays(1))}'
                  AND ((first_order_at < '{Day(firstOrderBefore)}' AND last_order_at < UTC_TIMESTAMP(6) - INTERVAL 180 DAY)
                       OR last_order_at IS NULL)
                """),

            new("text-heavy: name contains, email ends with, city starts with",
                Group("and",
                    Group("or", Rule("name", "contains", "sh"), Rule("name", "contains", "kumar")),
                    Rule("email", "ends_with", "7@" + DemoEmailDomain),
                    Rule("city", "starts_with", "B")),
                $"""
                SELECT COUNT(*) FROM customers
                WHERE (name LIKE '%sh%' OR name LIKE '%kumar%')
                  AND email LIKE '%7@{DemoEmailDomain}'
                  AND city LIKE 'B%'
                """),

            new("avg_order_value ranges, 3+ orders",
                Group("and",
                    Group("or", Rule("avg_order_value", "between", new JsonArray(1000, 2000)), Rule("avg_order_value", "gt", 10000)),
                    Rule("order_count", "gte", 3)),
                """
                SELECT COUNT(*) FROM customers
                WHERE (avg_order_value BETWEEN 1000 AND 2000 OR avg_order_value > 10000)
                  AND order_count >= 3
                """),

            new("selective: ordered in last 7 days, spend ≥ 50000",
                Group("and", Rule("last_order_at", "in_last_days", 7), Rule("total_spend", "gte", 50000)),
                """
                SELECT COUNT(*) FROM customers
                WHERE last_order_at >= UTC_TIMESTAMP(6) - INTERVAL 7 DAY AND total_spend >= 50000
                """),
        ];
    }

    private static JsonObject Group(string op, params JsonNode[] rules) => new()
    {
        ["op"] = op,
        ["rules"] = new JsonArray(rules),
    };

    private static JsonObject Not(JsonObject group)
    {
        group["not"] = true;
        return group;
    }

    private static JsonObject Rule(string field, string op, JsonNode? value)
    {
        var rule = new JsonObject { ["field"] = field, ["operator"] = op };
        if (value is not null)
        {
            rule["value"] = value;
        }

        return rule;
    }

    private static string Day(DateOnly day) => day.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
}
