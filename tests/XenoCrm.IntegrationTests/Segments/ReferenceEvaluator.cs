using XenoCrm.Core.Customers;
using XenoCrm.Core.Segments;

namespace XenoCrm.IntegrationTests.Segments;

/// <summary>
/// The meaning of a rule tree written the plainest way, over customers in memory: what the SQL
/// compiler must agree with. Shares no code with it.
/// </summary>
public static class ReferenceEvaluator
{
    public static bool Matches(RuleNode node, Customer c, DateTime now) => node switch
    {
        RuleGroup g => g.Not != (g.IsOr ? g.Rules.Any(r => Matches(r, c, now)) : g.Rules.All(r => Matches(r, c, now))),
        Rule r => r.Field.Type switch
        {
            FieldType.Text => Text(r, TextOf(r.Field.Name, c)),
            FieldType.Number => Number(r, NumberOf(r.Field.Name, c)),
            _ => Date(r, DateOf(r.Field.Name, c), now),
        },
        _ => throw new ArgumentOutOfRangeException(nameof(node)),
    };

    private static string? TextOf(string field, Customer c) => field switch
    {
        "name" => c.Name,
        "email" => c.Email,
        "email_domain" => c.Email[(c.Email.IndexOf('@', StringComparison.Ordinal) + 1)..],
        "city" => c.City,
        _ => c.Country,
    };

    private static decimal? NumberOf(string field, Customer c) => field switch
    {
        "total_spend" => c.TotalSpend,
        "order_count" => c.OrderCount,
        _ => c.AvgOrderValue,
    };

    private static DateTime? DateOf(string field, Customer c) => field switch
    {
        "signed_up_at" => c.SignedUpAt,
        "first_order_at" => c.FirstOrderAt,
        _ => c.LastOrderAt,
    };

    private static bool Text(Rule r, string? s)
    {
        const StringComparison Ci = StringComparison.OrdinalIgnoreCase;
        return (r.Operator, r.Value) switch
        {
            (Operators.IsEmpty, _) => string.IsNullOrEmpty(s),
            (Operators.IsNotEmpty, _) => !string.IsNullOrEmpty(s),
            (Operators.NotEqualTo, TextValue v) => s is null || !string.Equals(s, v.Text, Ci),
            (_, _) when s is null => false,
            (Operators.EqualTo, TextValue v) => string.Equals(s, v.Text, Ci),
            (Operators.Contains, TextValue v) => s.Contains(v.Text, Ci),
            (Operators.StartsWith, TextValue v) => s.StartsWith(v.Text, Ci),
            (Operators.EndsWith, TextValue v) => s.EndsWith(v.Text, Ci),
            (Operators.In, TextListValue v) => v.Texts.Any(t => string.Equals(s, t, Ci)),
            _ => throw new ArgumentOutOfRangeException(nameof(r)),
        };
    }

    private static bool Number(Rule r, decimal? n) => (r.Operator, r.Value) switch
    {
        (Operators.NotEqualTo, NumberValue v) => n is null || n != v.Number,
        (_, _) when n is null => false,
        (Operators.EqualTo, NumberValue v) => n == v.Number,
        (Operators.GreaterThan, NumberValue v) => n > v.Number,
        (Operators.AtLeast, NumberValue v) => n >= v.Number,
        (Operators.LessThan, NumberValue v) => n < v.Number,
        (Operators.AtMost, NumberValue v) => n <= v.Number,
        (Operators.Between, NumberRangeValue v) => n >= v.Low && n <= v.High,
        _ => throw new ArgumentOutOfRangeException(nameof(r)),
    };

    private static bool Date(Rule r, DateTime? d, DateTime now) => (r.Operator, r.Value) switch
    {
        (Operators.IsEmpty, _) => d is null,
        (Operators.IsNotEmpty, _) => d is not null,
        (_, _) when d is null => false,
        (Operators.Before, DateValue v) => DateOnly.FromDateTime(d.Value) < v.Date,
        (Operators.After, DateValue v) => DateOnly.FromDateTime(d.Value) > v.Date,
        (Operators.Between, DateRangeValue v) => DateOnly.FromDateTime(d.Value) >= v.From && DateOnly.FromDateTime(d.Value) <= v.To,
        (Operators.InLastDays, DaysValue v) => d >= now.AddDays(-v.Days),
        (Operators.MoreThanDaysAgo, DaysValue v) => d < now.AddDays(-v.Days),
        _ => throw new ArgumentOutOfRangeException(nameof(r)),
    };
}
