using System.Globalization;
using XenoCrm.Core.Campaigns;

namespace XenoCrm.Web.Pages.Campaigns;

/// <summary>
/// A campaign's numbers as the list, the campaign page and their polling show them, all made from one
/// <see cref="CampaignStatistics.Summary"/> so that a number reads the same wherever it appears.
/// </summary>
/// <param name="Active">Scheduled or sending: its numbers may still move, so the page keeps asking.</param>
/// <param name="Percent">Share of the audience with a final status, 0–100, rounded down so that 100 means done.</param>
public sealed record CampaignProgress(
    long Id, string Status, string StatusClass, bool Active, int Percent, string ProgressClass,
    string Audience, string Sent, string Failed, string Skipped, string Pending, string DeliveryRate, string Attempt)
{
    public static CampaignProgress From(CampaignStatistics.Summary c, DisplayFormat format)
    {
        ArgumentNullException.ThrowIfNull(c);
        ArgumentNullException.ThrowIfNull(format);
        return new(
            c.Id,
            c.Status.ToString(),
            CampaignDisplay.StatusClass(c.Status),
            c.Status is CampaignStatus.Scheduled or CampaignStatus.Sending,
            c.Status == CampaignStatus.Completed ? 100 : (int)Math.Floor(Math.Clamp(c.Progress, 0, 1) * 100),
            CampaignDisplay.ProgressClass(c.Status),
            c.AudienceSize is { } audience ? format.Count(audience) : "—",
            format.Count(c.Sent),
            format.Count(c.Failed),
            format.Count(c.Skipped),
            c.Pending is { } pending ? format.Count(pending) : "—",
            CampaignDisplay.Rate(c.DeliveryRate),
            format.Count(c.Attempt));
    }
}

public static class CampaignDisplay
{
    public static string StatusClass(CampaignStatus status) => status switch
    {
        CampaignStatus.Draft => "text-bg-secondary",
        CampaignStatus.Scheduled => "text-bg-info",
        CampaignStatus.Sending => "text-bg-primary",
        CampaignStatus.Completed => "text-bg-success",
        _ => "text-bg-warning",
    };

    public static string ProgressClass(CampaignStatus status) => status switch
    {
        CampaignStatus.Completed => "progress-completed",
        CampaignStatus.Cancelled => "progress-cancelled",
        _ => "progress-running",
    };

    public static string StatusClass(MessageStatus status) => status switch
    {
        MessageStatus.Sent => "text-bg-success",
        MessageStatus.Failed => "text-bg-danger",
        MessageStatus.Submitted => "text-bg-info",
        MessageStatus.Skipped => "text-bg-warning",
        _ => "text-bg-secondary",
    };

    /// <summary>"90.5%", or a dash before any message has an outcome.</summary>
    public static string Rate(double? rate) => rate is { } r ? (r * 100).ToString("0.0", CultureInfo.InvariantCulture) + "%" : "—";

    /// <summary>A share of a whole, for failures by reason: "12.5%".</summary>
    public static string Share(int part, int whole) => whole == 0 ? "—" : Rate((double)part / whole);
}
