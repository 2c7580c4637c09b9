using System.ComponentModel.DataAnnotations;
using System.Globalization;
using Microsoft.AspNetCore.Html;
using Microsoft.AspNetCore.Mvc.Rendering;
using Microsoft.Extensions.Options;

namespace XenoCrm.Web.Pages;

/// <summary>
/// Section <c>Display</c>, how numbers read on the pages:
/// <code>{ "Display": { "CurrencySymbol": "₹" } }</code>
/// </summary>
public sealed class DisplayOptions
{
    public const string Section = "Display";

    [Required, StringLength(8)]
    public string CurrencySymbol { get; set; } = "₹";
}

/// <summary>Numbers and dates formatted for people: thousands separators, a currency symbol, "3 days ago".</summary>
public sealed class DisplayFormat(IOptions<DisplayOptions> options, TimeProvider clock)
{
    private static readonly CultureInfo Invariant = CultureInfo.InvariantCulture;

    public string Money(decimal amount) => options.Value.CurrencySymbol + amount.ToString("N2", Invariant);

    public string Money(decimal? amount) => amount is { } a ? Money(a) : "—";

    public string Count(long count) => count.ToString("N0", Invariant);

    /// <summary>"12 Mar 2026", with the exact UTC time in a tooltip.</summary>
    public IHtmlContent Date(DateTime? utc) => utc is { } value ? Time(value, value.ToString("d MMM yyyy", Invariant)) : Missing();

    /// <summary>"12 Mar 2026" and, beneath it, "3 days ago"; the exact UTC time in a tooltip.</summary>
    public IHtmlContent DateAndAge(DateTime? utc)
    {
        if (utc is not { } value)
        {
            return Missing();
        }
        var age = new TagBuilder("small");
        age.AddCssClass("d-block text-body-secondary");
        age.InnerHtml.Append(Age(value));
        return new HtmlContentBuilder().AppendHtml(Time(value, value.ToString("d MMM yyyy", Invariant))).AppendHtml(age);
    }

    public string Age(DateTime utc)
    {
        var elapsed = clock.GetUtcNow().UtcDateTime - utc;
        var future = elapsed < TimeSpan.Zero;
        var span = future ? -elapsed : elapsed;
        var words = span switch
        {
            { TotalMinutes: < 1 } => null,
            { TotalHours: < 1 } => Plural((int)span.TotalMinutes, "minute"),
            { TotalDays: < 1 } => Plural((int)span.TotalHours, "hour"),
            { TotalDays: < 30 } => Plural((int)span.TotalDays, "day"),
            { TotalDays: < 365 } => Plural((int)(span.TotalDays / 30), "month"),
            _ => Plural((int)(span.TotalDays / 365), "year"),
        };
        return words is null ? "just now" : future ? $"in {words}" : $"{words} ago";
    }

    private static TagBuilder Time(DateTime utc, string text)
    {
        var time = new TagBuilder("time");
        time.Attributes["datetime"] = utc.ToString("yyyy-MM-ddTHH:mm:ssZ", Invariant);
        time.Attributes["title"] = utc.ToString("yyyy-MM-dd HH:mm:ss 'UTC'", Invariant);
        time.InnerHtml.Append(text);
        return time;
    }

    private static TagBuilder Missing()
    {
        var none = new TagBuilder("span");
        none.AddCssClass("text-body-secondary");
        none.InnerHtml.Append("—");
        return none;
    }

    private static string Plural(int n, string unit) => n == 1 ? $"1 {unit}" : $"{n.ToString("N0", Invariant)} {unit}s";
}
