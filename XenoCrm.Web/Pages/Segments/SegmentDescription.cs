using System.Globalization;
using XenoCrm.Core.Segments;

namespace XenoCrm.Web.Pages.Segments;

/// <summary>
/// A rule tree read out in plain English, so that the editor can show what a segment means:
/// "Customers who spent more than ₹10,000.00 AND (ordered in the last 30 days OR live in Pune)".
/// </summary>
public static class SegmentDescription
{
    private static readonly CultureInfo _invariant = CultureInfo.InvariantCulture;

    public static string Describe(RuleGroup tree, DisplayFormat format)
    {
        ArgumentNullException.ThrowIfNull(tree);
        ArgumentNullException.ThrowIfNull(format);
        var body = Join(tree, format);
        return tree.Not ? $"Customers except those who {body}" : $"Customers who {body}";
    }

    private static string Join(RuleGroup group, DisplayFormat format) =>
        string.Join(group.IsOr ? " OR " : " AND ", group.Rules.Select(node => node switch
        {
            RuleGroup child => Nested(child, format),
            Rule rule => Phrase(rule, format),
            _ => throw new ArgumentOutOfRangeException(nameof(group)),
        }));

    private static string Nested(RuleGroup group, DisplayFormat format)
    {
        var body = Join(group, format);
        var bracketed = group.Rules.Count == 1 && !group.Not ? body : $"({body})";
        return group.Not ? $"NOT {bracketed}" : bracketed;
    }

    private static string Phrase(Rule rule, DisplayFormat format) => rule.Field.Type switch
    {
        FieldType.Text => TextPhrase(rule),
        FieldType.Number => NumberPhrase(rule, format),
        _ => DatePhrase(rule),
    };

    private static string TextPhrase(Rule rule)
    {
        var place = rule.Field.Name is "city" or "country";
        var label = rule.Field.Label.ToLowerInvariant();
        return (rule.Operator, rule.Value) switch
        {
            (Operators.IsEmpty, _) => $"have no {label}",
            (Operators.IsNotEmpty, _) => $"have a {label}",
            (Operators.In, TextListValue list) => place ? $"live in {Either(list.Texts)}" : $"have {label} {Either(list.Texts)}",
            (Operators.EqualTo, TextValue v) => place ? $"live in {v.Text}" : $"have {label} “{v.Text}”",
            (Operators.NotEqualTo, TextValue v) => place ? $"don't live in {v.Text}" : $"don't have {label} “{v.Text}”",
            (Operators.Contains, TextValue v) => $"have a {label} containing “{v.Text}”",
            (Operators.StartsWith, TextValue v) => $"have a {label} starting with “{v.Text}”",
            (Operators.EndsWith, TextValue v) => $"have a {label} ending with “{v.Text}”",
            _ => $"{label} {rule.Operator}",
        };
    }

    private static string Either(IReadOnlyList<string> texts) => texts.Count == 1
        ? texts[0]
        : string.Join(", ", texts.Take(texts.Count - 1)) + " or " + texts[^1];

    private static string NumberPhrase(Rule rule, DisplayFormat format)
    {
        Func<decimal, string> show = rule.Field.Name == "order_count" ? n => n.ToString("#,0.##", _invariant) : format.Money;
        var amount = (rule.Operator, rule.Value) switch
        {
            (Operators.Between, NumberRangeValue v) => $"between {show(v.Low)} and {show(v.High)}",
            (_, NumberValue v) => rule.Operator switch
            {
                Operators.GreaterThan => "more than ",
                Operators.AtLeast => "at least ",
                Operators.LessThan => "less than ",
                Operators.AtMost => "at most ",
                Operators.NotEqualTo => "other than ",
                _ => "exactly ",
            } + show(v.Number),
            _ => rule.Operator,
        };
        return rule.Field.Name switch
        {
            "total_spend" => $"spent {amount}",
            "order_count" => $"placed {amount} orders",
            _ => $"have an {rule.Field.Label.ToLowerInvariant()} of {amount}",
        };
    }

    private static string DatePhrase(Rule rule)
    {
        var orders = rule.Field.Name is "first_order_at" or "last_order_at";
        var verb = rule.Field.Name switch
        {
            "signed_up_at" => "signed up",
            "first_order_at" => "first ordered",
            _ => "last ordered",
        };
        return (rule.Operator, rule.Value) switch
        {
            (Operators.IsEmpty, _) => orders ? "never ordered" : $"have no {rule.Field.Label.ToLowerInvariant()} date",
            (Operators.IsNotEmpty, _) => orders ? "have ordered" : $"have a {rule.Field.Label.ToLowerInvariant()} date",
            (Operators.Before, DateValue v) => $"{verb} before {Day(v.Date)}",
            (Operators.After, DateValue v) => $"{verb} after {Day(v.Date)}",
            (Operators.Between, DateRangeValue v) => $"{verb} between {Day(v.From)} and {Day(v.To)}",
            (Operators.InLastDays, DaysValue v) => rule.Field.Name == "last_order_at"
                ? $"ordered in the last {Days(v.Days)}"
                : $"{verb} in the last {Days(v.Days)}",
            // A customer who never ordered has no date to compare, so the rule leaves them out; say so.
            (Operators.MoreThanDaysAgo, DaysValue v) => orders
                ? $"{verb} more than {Days(v.Days)} ago (customers who never ordered are left out)"
                : $"{verb} more than {Days(v.Days)} ago",
            _ => $"{verb} {rule.Operator}",
        };
    }

    private static string Day(DateOnly day) => day.ToString("d MMM yyyy", _invariant);

    private static string Days(int days) => days == 1 ? "1 day" : $"{days.ToString("N0", _invariant)} days";
}
