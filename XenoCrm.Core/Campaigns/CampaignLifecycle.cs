using System.Data;
using System.Linq.Expressions;
using System.Globalization;
using Microsoft.EntityFrameworkCore;
using XenoCrm.Core.Audit;
using XenoCrm.Core.Campaigns.Sending;
using XenoCrm.Core.Data;
using XenoCrm.Core.Segments;

namespace XenoCrm.Core.Campaigns;

/// <summary>What can be done to a campaign, by the operator (edit, schedule, send now, cancel, retry failed, delete) or by the send itself (start, complete).</summary>
public enum CampaignCommand
{
    Edit,
    Schedule,
    SendNow,
    Start,
    Cancel,
    Complete,
    RetryFailed,
    Delete,
}

/// <summary>A command the campaign's status does not allow, reaching a change that the caller should have checked first.</summary>
public sealed class CampaignTransitionException(CampaignStatus status, CampaignCommand command)
    : InvalidOperationException($"A {status} campaign does not allow {command}.")
{
    public CampaignStatus Status { get; } = status;
    public CampaignCommand Command { get; } = command;
}

/// <summary>
/// The campaign's state machine. <see cref="Rules"/> is the one table of which command each status allows and where it
/// leads; every status change, tracked (<see cref="Campaign.Apply"/>) or set-based (<see cref="Allowing"/> and
/// <see cref="Target"/> in an <c>ExecuteUpdate</c>), goes through it, and each transition's side effects (the audience
/// snapshot on start, skipping the pending recipients on cancel, completion when nothing is open, the jobs it hands to
/// Workers) are written below it, in the table's order. What an operator does (schedule, send now, cancel, retry failed,
/// delete) is recorded in the audit log by the same methods, in the change's own transaction, as done by the
/// <see cref="AuditActor"/> the adapter passes.
/// </summary>
public static class CampaignLifecycle
{
    /// <param name="From">The statuses in which the command is allowed.</param>
    /// <param name="To">The status it leaves the campaign in; null when the status stays (edit) or the campaign goes (delete).</param>
    public sealed record Rule(IReadOnlyList<CampaignStatus> From, CampaignStatus? To);

    public static IReadOnlyDictionary<CampaignCommand, Rule> Rules { get; } = new Dictionary<CampaignCommand, Rule>
    {
        // Command                           allowed in                                              leads to
        [CampaignCommand.Edit] = new([CampaignStatus.Draft, CampaignStatus.Scheduled], null),
        [CampaignCommand.Schedule] = new([CampaignStatus.Draft, CampaignStatus.Scheduled], CampaignStatus.Scheduled),
        [CampaignCommand.SendNow] = new([CampaignStatus.Draft, CampaignStatus.Scheduled], CampaignStatus.Sending),
        // Sending: after "send now", whose start job takes the audience.
        [CampaignCommand.Start] = new([CampaignStatus.Scheduled, CampaignStatus.Sending], CampaignStatus.Sending),
        [CampaignCommand.Cancel] = new([CampaignStatus.Scheduled, CampaignStatus.Sending], CampaignStatus.Cancelled),
        [CampaignCommand.Complete] = new([CampaignStatus.Sending], CampaignStatus.Completed),
        [CampaignCommand.RetryFailed] = new([CampaignStatus.Completed], CampaignStatus.Sending),
        [CampaignCommand.Delete] = new([CampaignStatus.Draft], null),
    };

    public static bool Allows(CampaignStatus status, CampaignCommand command) => Rules[command].From.Contains(status);

    /// <summary>The status after <paramref name="command"/>; throws <see cref="CampaignTransitionException"/> when the status does not allow it.</summary>
    public static CampaignStatus After(CampaignStatus status, CampaignCommand command) =>
        Allows(status, command) ? Rules[command].To ?? status : throw new CampaignTransitionException(status, command);

    /// <summary>The condition of a set-based change: the campaign's status allows <paramref name="command"/> (SQL <c>status IN (…)</c>).</summary>
    public static Expression<Func<Campaign, bool>> Allowing(CampaignCommand command)
    {
        var campaign = Expression.Parameter(typeof(Campaign), "c");
        var status = Expression.Property(campaign, nameof(Campaign.Status));
        var allowed = Rules[command].From
            .Select(s => (Expression)Expression.Equal(status, Expression.Constant(s)))
            .Aggregate(Expression.OrElse);
        return Expression.Lambda<Func<Campaign, bool>>(allowed, campaign);
    }

    /// <summary>The status a set-based change writes for <paramref name="command"/>.</summary>
    public static CampaignStatus Target(CampaignCommand command) =>
        Rules[command].To ?? throw new ArgumentException($"{command} does not change the status.", nameof(command));

    /// <summary>A campaign begins as a draft.</summary>
    public static Campaign NewDraft(string name, long? segmentId, string template, string author, DateTime now) => new()
    {
        Name = name,
        SegmentId = segmentId,
        Template = template,
        CreatedBy = author,
        CreatedAt = now,
        UpdatedAt = now,
    };

    public static void Edit(Campaign campaign, string name, long? segmentId, string template, DateTime now)
    {
        campaign.Apply(CampaignCommand.Edit);
        campaign.Name = name;
        campaign.SegmentId = segmentId;
        campaign.Template = template;
        campaign.UpdatedAt = now;
    }

    /// <summary>The reconciler starts a scheduled campaign when it is due (within <c>Campaigns:ReconcileInterval</c>).</summary>
    public static void Schedule(Campaign campaign, DateTime atUtc, string? timeZone, DateTime now)
    {
        campaign.Apply(CampaignCommand.Schedule);
        campaign.ScheduledAt = atUtc;
        campaign.TimeZone = timeZone;
        campaign.UpdatedAt = now;
        campaign.ReconciledAt = null;
    }

    /// <summary><see cref="Schedule"/>, saved with its audit row.</summary>
    public static async Task ScheduleAsync(
        CrmDbContext db, AuditTrail audit, AuditActor by, Campaign campaign, DateTime atUtc, string? timeZone, DateTime now, CancellationToken ct)
    {
        Schedule(campaign, atUtc, timeZone, now);
        var details = "for " + atUtc.ToString("yyyy-MM-dd HH:mm 'UTC'", CultureInfo.InvariantCulture) + (timeZone is null ? "" : $" ({timeZone})");
        // One SaveChanges: the schedule and its audit row.
        await audit.RecordAsync(db, Audited(by, AuditActions.CampaignScheduled, campaign.Id, campaign.Name, details), ct);
    }

    /// <summary>Saves the campaign as Sending, with its audit row, then hands its start (the audience snapshot) to Workers.</summary>
    public static async Task SendNowAsync(
        CrmDbContext db, ICampaignSendJobs sendJobs, AuditTrail audit, AuditActor by, Campaign campaign, DateTime now, CancellationToken ct)
    {
        campaign.Apply(CampaignCommand.SendNow);
        campaign.StartedAt = now;
        campaign.LastProgressAt = now;
        campaign.UpdatedAt = now;
        campaign.ReconciledAt = null;
        // One SaveChanges: the status and its audit row.
        await audit.RecordAsync(db, Audited(by, AuditActions.CampaignSent, campaign.Id, campaign.Name), ct);
        sendJobs.Start(campaign.Id);
    }

    /// <summary>
    /// Takes the audience of a campaign that is due (Scheduled, or Sending after "send now") and not yet snapshotted:
    /// freezes the segment's name and rules and writes one Pending log row per recipient, in one transaction. Returns
    /// the audience size, or null when there was nothing to do.
    /// </summary>
    public static async Task<int?> StartAsync(CrmDbContext db, long campaignId, DateTime now, CancellationToken ct)
    {
        // Read committed: the snapshot must not lock the customers it reads against ingestion.
        await using var transaction = await db.Database.BeginTransactionAsync(
            db.Provider == CrmDatabaseProvider.MySql ? IsolationLevel.ReadCommitted : IsolationLevel.Serializable, ct);
        // The update locks the campaign: a second start waits here, then finds the audience taken.
        var claimed = await db.Campaigns
            .Where(Allowing(CampaignCommand.Start))
            .Where(c => c.Id == campaignId && c.AudienceSize == null && (c.Status != CampaignStatus.Scheduled || c.ScheduledAt <= now))
            .ExecuteUpdateAsync(s => s.SetProperty(c => c.UpdatedAt, now), ct);
        if (claimed == 0)
        {
            return null;
        }
        var campaign = await db.Campaigns.Include(c => c.Segment).SingleAsync(c => c.Id == campaignId, ct);
        campaign.Apply(CampaignCommand.Start);
        campaign.StartedAt ??= now;
        campaign.LastProgressAt = now;
        if (campaign.Segment is null)
        {
            // Only possible if the segment was deleted under a draft sent at the same moment: nobody to send to.
            campaign.AudienceSize = 0;
            campaign.Apply(CampaignCommand.Cancel);
            campaign.CancelledAt = now;
        }
        else
        {
            campaign.RulesSnapshot = campaign.Segment.Rules;
            campaign.SegmentNameSnapshot = campaign.Segment.Name;
            campaign.AudienceSize = await CampaignLog.InsertAudienceAsync(db, campaignId, SegmentRulesJson.Read(campaign.Segment.Rules), now, ct);
        }
        await db.SaveChangesAsync(ct);
        await transaction.CommitAsync(ct);
        return campaign.AudienceSize;
    }

    /// <summary>
    /// Stops a scheduled or sending campaign: recipients not yet handed to Delivery end Skipped. Returns false, changing
    /// nothing, when the campaign's status does not allow it.
    /// </summary>
    public static async Task<bool> CancelAsync(CrmDbContext db, AuditTrail audit, AuditActor by, long campaignId, DateTime now, CancellationToken ct)
    {
        await using var transaction = await db.Database.BeginTransactionAsync(ct);
        // A start job snapshotting right now commits its rows after this; the reconciler skips those later.
        await CampaignLog.SkipPendingAsync(db, campaignId, now, ct);
        var cancelled = await db.Campaigns
            .Where(Allowing(CampaignCommand.Cancel))
            .Where(c => c.Id == campaignId)
            .ExecuteUpdateAsync(s => s
                .SetProperty(c => c.Status, Target(CampaignCommand.Cancel))
                .SetProperty(c => c.CancelledAt, now)
                .SetProperty(c => c.UpdatedAt, now), ct);
        if (cancelled == 0)
        {
            await transaction.RollbackAsync(ct);
            return false;
        }
        await audit.RecordAsync(db, Audited(by, AuditActions.CampaignCancelled, campaignId, await NameAsync(db, campaignId, ct)), ct);
        await transaction.CommitAsync(ct);
        return true;
    }

    /// <summary>Completes the sending campaigns among these whose every recipient is terminal, in the caller's transaction if any.</summary>
    public static async Task CompleteFinishedAsync(CrmDbContext db, IReadOnlyList<long> campaignIds, DateTime now, CancellationToken ct)
    {
        await db.Campaigns
            .Where(Allowing(CampaignCommand.Complete))
            .Where(c => campaignIds.Contains(c.Id) && c.AudienceSize != null && c.Sent + c.Failed + c.Skipped >= c.AudienceSize)
            .ExecuteUpdateAsync(s => s
                .SetProperty(c => c.Status, Target(CampaignCommand.Complete))
                .SetProperty(c => c.CompletedAt, now)
                .SetProperty(c => c.UpdatedAt, now), ct);
    }

    /// <summary>
    /// Moves the transiently Failed recipients of a completed campaign back to Pending as its next attempt and the
    /// campaign back to Sending, then hands the attempt's chunks to Workers; permanent failures stay Failed. <paramref name="attempt"/> is the attempt the caller read: two
    /// concurrent retries of it resend once, the other gets null.
    /// </summary>
    public static async Task<int?> RetryFailedAsync(
        CrmDbContext db, ICampaignSendJobs sendJobs, AuditTrail audit, AuditActor by, long campaignId, int attempt, DateTime now, CancellationToken ct)
    {
        var next = attempt + 1;
        await using var transaction = await db.Database.BeginTransactionAsync(ct);
        var resent = await CampaignLog.ResendFailedAsync(db, campaignId, next, ct);
        var moved = await db.Campaigns
            .Where(Allowing(CampaignCommand.RetryFailed))
            .Where(c => c.Id == campaignId && c.Attempt == attempt)
            .ExecuteUpdateAsync(s => s
                .SetProperty(c => c.Status, Target(CampaignCommand.RetryFailed))
                .SetProperty(c => c.Attempt, next)
                .SetProperty(c => c.Failed, c => c.Failed - resent)
                .SetProperty(c => c.CompletedAt, (DateTime?)null)
                .SetProperty(c => c.LastProgressAt, now)
                .SetProperty(c => c.ReconciledAt, (DateTime?)null)
                .SetProperty(c => c.UpdatedAt, now), ct);
        if (moved == 0)
        {
            await transaction.RollbackAsync(ct);
            return null;
        }
        var details = string.Create(CultureInfo.InvariantCulture, $"attempt {next}, {resent} transiently failed messages resent");
        await audit.RecordAsync(db, Audited(by, AuditActions.CampaignRetried, campaignId, await NameAsync(db, campaignId, ct), details), ct);
        await transaction.CommitAsync(ct);
        sendJobs.RetryFailed(campaignId, next);
        return next;
    }

    /// <summary>Deletes a draft; a campaign that sent anything is history and stays. Returns false when the status does not allow it.</summary>
    public static async Task<bool> DeleteAsync(CrmDbContext db, AuditTrail audit, AuditActor by, long campaignId, CancellationToken ct)
    {
        await using var transaction = await db.Database.BeginTransactionAsync(ct);
        // Read before the row goes, so that the audit log keeps the name of what was deleted.
        var name = await NameAsync(db, campaignId, ct);
        if (await db.Campaigns.Where(Allowing(CampaignCommand.Delete)).Where(c => c.Id == campaignId).ExecuteDeleteAsync(ct) != 1)
        {
            await transaction.RollbackAsync(ct);
            return false;
        }
        await audit.RecordAsync(db, Audited(by, AuditActions.CampaignDeleted, campaignId, name), ct);
        await transaction.CommitAsync(ct);
        return true;
    }

    private static AuditEntry Audited(AuditActor by, string action, long campaignId, string? name, string? details = null) =>
        new(by, action, AuditTargets.Campaign, campaignId.ToString(CultureInfo.InvariantCulture), name, details);

    private static Task<string?> NameAsync(CrmDbContext db, long campaignId, CancellationToken ct) =>
        db.Campaigns.Where(c => c.Id == campaignId).Select(c => c.Name).SingleOrDefaultAsync(ct);
}
