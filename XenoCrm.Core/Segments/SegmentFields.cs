namespace XenoCrm.Core.Segments;

public enum FieldType
{
    Text,
    Number,
    Date,
}

/// <summary>A customer attribute that segments can filter on. <paramref name="Name"/> is the wire name.</summary>
public sealed record SegmentField(string Name, string Label, FieldType Type);

/// <summary>The typed catalog: the only fields and operators a rule may name.</summary>
public static class SegmentFields
{
    public static readonly IReadOnlyList<SegmentField> All =
    [
        new("name", "Name", FieldType.Text),
        new("email", "Email", FieldType.Text),
        new("email_domain", "Email domain", FieldType.Text),
        new("city", "City", FieldType.Text),
        new("country", "Country", FieldType.Text),
        new("signed_up_at", "Signed up", FieldType.Date),
        new("total_spend", "Total spend", FieldType.Number),
        new("order_count", "Orders (visits)", FieldType.Number),
        new("avg_order_value", "Average order value", FieldType.Number),
        new("first_order_at", "First order", FieldType.Date),
        new("last_order_at", "Last order", FieldType.Date),
    ];

    private static readonly Dictionary<string, SegmentField> ByName = All.ToDictionary(f => f.Name, StringComparer.Ordinal);

    public static SegmentField? Find(string name) => ByName.GetValueOrDefault(name);

    public static IReadOnlyList<string> OperatorsFor(FieldType type) => type switch
    {
        FieldType.Text => [Operators.EqualTo, Operators.NotEqualTo, Operators.Contains, Operators.StartsWith, Operators.EndsWith, Operators.In, Operators.IsEmpty, Operators.IsNotEmpty],
        FieldType.Number => [Operators.EqualTo, Operators.NotEqualTo, Operators.GreaterThan, Operators.AtLeast, Operators.LessThan, Operators.AtMost, Operators.Between],
        _ => [Operators.Before, Operators.After, Operators.Between, Operators.InLastDays, Operators.MoreThanDaysAgo, Operators.IsEmpty, Operators.IsNotEmpty],
    };
}

/// <summary>Operator wire names.</summary>
public static class Operators
{
    public const string EqualTo = "equals";
    public const string NotEqualTo = "not_equals";
    public const string Contains = "contains";
    public const string StartsWith = "starts_with";
    public const string EndsWith = "ends_with";
    public const string In = "in";
    public const string IsEmpty = "is_empty";
    public const string IsNotEmpty = "is_not_empty";
    public const string GreaterThan = "gt";
    public const string AtLeast = "gte";
    public const string LessThan = "lt";
    public const string AtMost = "lte";
    public const string Between = "between";
    public const string Before = "before";
    public const string After = "after";
    public const string InLastDays = "in_last_days";
    public const string MoreThanDaysAgo = "more_than_days_ago";
}
