using System.Globalization;

namespace XenoCrm.Core.Campaigns;

/// <summary>
/// What a message template may read about its recipient, exposed to Liquid as <c>customer</c> with the
/// snake_case names of <see cref="Fields"/>, and nothing else.
/// </summary>
public sealed record TemplateCustomer(
    long Id,
    string Name,
    string Email,
    string? Phone,
    string? City,
    string? Country,
    DateTime? SignedUpAt,
    decimal TotalSpend,
    int OrderCount,
    decimal? AvgOrderValue,
    DateTime? FirstOrderAt,
    DateTime? LastOrderAt)
{
    public const string VariableName = "customer";

    // Dates are handed to Liquid as ISO text: Fluid would print a DateTime with its time and offset,
    // and its date filter still parses this text, so `| date: "%d %b"` keeps working.
    internal static readonly IReadOnlyList<(string Name, Func<TemplateCustomer, object?> Read)> Members =
    [
        ("name", c => c.Name),
        ("first_name", c => FirstWord(c.Name)),
        ("email", c => c.Email),
        ("phone", c => c.Phone),
        ("city", c => c.City),
        ("country", c => c.Country),
        ("signed_up_at", c => IsoDate(c.SignedUpAt)),
        ("total_spend", c => c.TotalSpend),
        ("order_count", c => c.OrderCount),
        ("avg_order_value", c => c.AvgOrderValue),
        ("first_order_at", c => IsoDate(c.FirstOrderAt)),
        ("last_order_at", c => IsoDate(c.LastOrderAt)),
    ];

    /// <summary>The fields a template may use, as written in Liquid (<c>customer.first_name</c>): the editor's help list.</summary>
    public static readonly IReadOnlyList<string> Fields = [.. Members.Select(m => $"{VariableName}.{m.Name}")];

    internal static readonly HashSet<string> MemberNames = [.. Members.Select(m => m.Name)];

    private static string? FirstWord(string? name)
    {
        if (name is null)
        {
            return null;
        }

        var words = name.Split((char[]?)null, 2, StringSplitOptions.RemoveEmptyEntries);
        return words.Length == 0 ? "" : words[0];
    }

    private static string? IsoDate(DateTime? at) => at?.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
}
