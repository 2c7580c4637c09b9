using System.Text.RegularExpressions;
using Microsoft.Extensions.Logging;
using XenoCrm.Core.Data;

namespace XenoCrm.Core.Audit;

/// <summary>What happened, for <see cref="AuditTrail.RecordAsync"/>. Text is cut to the column's length; never put a secret in it.</summary>
/// <param name="Action">One of <see cref="AuditActions"/>.</param>
/// <param name="TargetType">One of <see cref="AuditTargets"/>, with the target's id and a label people recognize (a name).</param>
/// <param name="Details">A short phrase: "scheduled for 2026-12-01 03:30 UTC", "status failed".</param>
/// <param name="Outcome">One of <see cref="AuditOutcomes"/> where the action was refused; null when it was done.</param>
public sealed record AuditEntry(
    AuditActor Actor, string Action, string? TargetType = null, string? TargetId = null, string? TargetLabel = null,
    string? Details = null, string? Outcome = null);

/// <summary>
/// The one writer of <c>audit_log</c>. Each entry becomes a row and a structured log event (<c>Audit</c>, with the
/// fields named <c>AuditAction</c>, <c>AuditActor</c>, <c>AuditActorAddress</c>, <c>AuditTargetType</c>,
/// <c>AuditTargetId</c>, <c>AuditTargetLabel</c>, <c>AuditDetails</c>, <c>AuditOutcome</c>), so that a log pipeline
/// sees what the page shows.
/// </summary>
/// <remarks>
/// The row is written through the caller's context: a change tracked there is saved in the same
/// <c>SaveChanges</c>, and inside a transaction the caller began, the row commits or rolls back with the change it
/// records. Where nothing in the database changes (a sign-in, an export), the row is written right after the fact.
/// </remarks>
public sealed partial class AuditTrail(TimeProvider clock, ILogger<AuditTrail> logger)
{
    /// <summary>Saves <paramref name="db"/>'s tracked changes with the row (so call it where the change would be saved), then logs the event.</summary>
    public async Task RecordAsync(CrmDbContext db, AuditEntry entry, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(db);
        ArgumentNullException.ThrowIfNull(entry);
        if (!AuditActions.IsKnown(entry.Action))
        {
            throw new ArgumentException($"'{entry.Action}' is not in {nameof(AuditActions)}.", nameof(entry));
        }
        var row = new AuditLogEntry
        {
            OccurredAt = clock.GetUtcNow().UtcDateTime,
            Actor = Bounded(entry.Actor.Name, AuditActor.NameMaxLength)!,
            ActorAddress = Bounded(entry.Actor.Address, AuditActor.AddressMaxLength),
            Action = entry.Action,
            TargetType = Bounded(entry.TargetType, AuditTargets.TypeMaxLength),
            TargetId = Bounded(entry.TargetId, AuditLogEntry.TargetIdMaxLength),
            TargetLabel = Bounded(entry.TargetLabel, AuditLogEntry.TargetLabelMaxLength),
            Details = Bounded(entry.Details, AuditLogEntry.DetailsMaxLength),
            Outcome = Bounded(entry.Outcome, AuditOutcomes.MaxLength),
        };
        db.AuditLog.Add(row);
        await db.SaveChangesAsync(ct);
        LogAudit(logger, row.Action, row.Actor, row.ActorAddress, row.TargetType, row.TargetId, row.TargetLabel, row.Outcome, row.Details);
    }

    /// <summary>
    /// Cuts text to its column and, as a last guard, masks anything shaped like an API key (a key pasted into a
    /// campaign's name, say) down to its public prefix, so that no secret is kept or logged even by mistake.
    /// </summary>
    public static string? Bounded(string? text, int maxLength)
    {
        if (string.IsNullOrEmpty(text))
        {
            return text;
        }
        text = ApiKeyShape().Replace(text, "xcrm_${prefix}_…");
        return text.Length <= maxLength ? text : text[..(maxLength - 1)] + "…";
    }

    [GeneratedRegex(@"xcrm_(?<prefix>[0-9a-f]{12})_[A-Za-z0-9_\-]{8,}", RegexOptions.CultureInvariant)]
    private static partial Regex ApiKeyShape();

    [LoggerMessage(EventId = 9100, EventName = "Audit", Level = LogLevel.Information,
        Message = "Audit: {AuditAction} by {AuditActor} from {AuditActorAddress} on {AuditTargetType} {AuditTargetId} {AuditTargetLabel}; outcome {AuditOutcome}; {AuditDetails}")]
    private static partial void LogAudit(ILogger logger, string auditAction, string auditActor, string? auditActorAddress,
        string? auditTargetType, string? auditTargetId, string? auditTargetLabel, string? auditOutcome, string? auditDetails);
}
