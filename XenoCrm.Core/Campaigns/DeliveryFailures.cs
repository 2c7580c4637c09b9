using System.Linq.Expressions;

namespace XenoCrm.Core.Campaigns;

/// <summary>
/// Which failure reasons are permanent: sending the same message to the same address again would fail the same way
/// (and, for a bounce or a complaint, hurt the sender's reputation). Everything else is transient and worth a retry.
/// </summary>
public static class DeliveryFailures
{
    /// <summary>The vendor's permanent reasons: a hard bounce (the first two) or a complaint.</summary>
    public static readonly IReadOnlyList<string> PermanentReasons = ["Invalid address", "Recipient unknown", "Rejected as spam"];

    /// <summary>A template that failed to render for a recipient fails again: the template of a sent campaign is frozen.</summary>
    public const string TemplatePrefix = "Template:";

    public static bool IsPermanent(string? reason) =>
        reason is not null && (PermanentReasons.Contains(reason) || reason.StartsWith(TemplatePrefix, StringComparison.Ordinal));

    /// <summary>
    /// <see cref="IsPermanent"/>'s negation as a query condition on a Failed row, so that the count shown before a retry
    /// and the rows the retry resends are chosen by the same rule. Every reason is a parameter of the SQL.
    /// </summary>
    public static Expression<Func<CommunicationLogEntry, bool>> IsRetryable { get; } = l =>
        l.FailureReason == null || (!PermanentReasons.Contains(l.FailureReason) && !l.FailureReason.StartsWith(TemplatePrefix));
}
