using Hangfire;
using Microsoft.EntityFrameworkCore;
using XenoCrm.Core.Data;
using XenoCrm.Core.Campaigns.Sending;

namespace XenoCrm.Core.Campaigns;

/// <summary>What a marketer may do to a campaign, shared by the pages and the API, with the state machine's rules in one place.</summary>
public sealed class CampaignCommands(CrmDbContext db, IBackgroundJobClient jobs, TimeProvider clock)
{
    public sealed record CampaignDraft(string? Name, long? SegmentId, string? Template);

    public enum Outcome
    {
        Done,
        Invalid,
        NotFound,
        Conflict,
    }

    /// <param name="Errors">For <see cref="Outcome.Invalid"/>: messages by field (<c>name</c>, <c>segmentId</c>, <c>template</c>, <c>at</c>).</param>
    /// <param name="Reason">For <see cref="Outcome.Conflict"/>: why the campaign's status does not allow it.</param>
    public sealed record Result(Outcome Outcome, Campaign? Campaign = null, Dictionary<string, string[]>? Errors = null, string? Reason = null)
    {
        public static Result Invalid(Dictionary<string, string[]> errors) => new(Outcome.Invalid, Errors: errors);
        public static Result Missing { get; } = new(Outcome.NotFound);
        public static Result Refused(string reason) => new(Outcome.Conflict, Reason: reason);
    }

    public async Task<Result> CreateAsync(CampaignDraft draft, string author, CancellationToken ct)
    {
        var errors = await ValidateAsync(draft, ct);
        if (errors.Count > 0)
        {
            return Result.Invalid(errors);
        }
        var now = Now();
        var campaign = new Campaign
        {
            Name = draft.Name!.Trim(),
            SegmentId = draft.SegmentId,
            Template = draft.Template!,
            Status = CampaignStatus.Draft,
            CreatedBy = author,
            CreatedAt = now,
            UpdatedAt = now,
        };
        db.Campaigns.Add(campaign);
        await db.SaveChangesAsync(ct);
        return new(Outcome.Done, campaign);
    }

    public async Task<Result> UpdateAsync(long id, CampaignDraft draft, CancellationToken ct)
    {
        if (await db.Campaigns.SingleOrDefaultAsync(c => c.Id == id, ct) is not { } campaign)
        {
            return Result.Missing;
        }
        if (campaign.Status is not (CampaignStatus.Draft or CampaignStatus.Scheduled))
        {
            return Result.Refused($"Campaign {id} is {campaign.Status}; only a draft or a scheduled campaign can be edited.");
        }
        var errors = await ValidateAsync(draft, ct);
        if (errors.Count > 0)
        {
            return Result.Invalid(errors);
        }
        campaign.Name = draft.Name!.Trim();
        campaign.SegmentId = draft.SegmentId;
        campaign.Template = draft.Template!;
        campaign.UpdatedAt = Now();
        await db.SaveChangesAsync(ct);
        return new(Outcome.Done, campaign);
    }

    /// <summary>Sends now (<paramref name="at"/> null) or schedules a draft; a scheduled campaign can be moved or sent now.</summary>
    /// <param name="timeZone">The IANA zone the operator chose the time in, kept to show it back the same way.</param>
    public async Task<Result> SendAsync(long id, DateTime? at, string? timeZone, CancellationToken ct)
    {
        if (await db.Campaigns.SingleOrDefaultAsync(c => c.Id == id, ct) is not { } campaign)
        {
            return Result.Missing;
        }
        if (campaign.Status is not (CampaignStatus.Draft or CampaignStatus.Scheduled))
        {
            return Result.Refused($"Campaign {id} is {campaign.Status}; only a draft or a scheduled campaign can be sent.");
        }
        var errors = await ValidateAsync(new CampaignDraft(campaign.Name, campaign.SegmentId, campaign.Template), ct);
        var now = Now();
        if (at is { } when && when.ToUniversalTime() <= now)
        {
            errors["at"] = ["The time must be in the future; leave it out to send now."];
        }
        if (timeZone is not null && !TimeZoneInfo.TryFindSystemTimeZoneById(timeZone, out _))
        {
            errors["timeZone"] = [$"'{timeZone}' is not a known time zone (use an IANA name such as Asia/Kolkata)."];
        }
        if (errors.Count > 0)
        {
            return Result.Invalid(errors);
        }

        campaign.UpdatedAt = now;
        campaign.ReconciledAt = null;
        if (at is { } scheduled)
        {
            // The reconciler starts it when it is due (within Campaigns:ReconcileInterval).
            campaign.Status = CampaignStatus.Scheduled;
            campaign.ScheduledAt = scheduled.ToUniversalTime();
            campaign.TimeZone = timeZone;
            await db.SaveChangesAsync(ct);
            return new(Outcome.Done, campaign);
        }
        campaign.Status = CampaignStatus.Sending;
        campaign.StartedAt = now;
        campaign.LastProgressAt = now;
        await db.SaveChangesAsync(ct);
        jobs.Enqueue<CampaignStartJob>(job => job.RunAsync(id, CancellationToken.None));
        return new(Outcome.Done, campaign);
    }

    /// <summary>Stops a scheduled or sending campaign: recipients not yet handed to Delivery end Skipped.</summary>
    public async Task<Result> CancelAsync(long id, CancellationToken ct)
    {
        var now = Now();
        await using var transaction = await db.Database.BeginTransactionAsync(ct);
        // A start job snapshotting right now commits its rows after this; the reconciler skips those later.
        await CampaignLog.SkipPendingAsync(db, id, now, ct);
        var cancelled = await db.Campaigns
            .Where(c => c.Id == id && (c.Status == CampaignStatus.Scheduled || c.Status == CampaignStatus.Sending))
            .ExecuteUpdateAsync(s => s
                .SetProperty(c => c.Status, CampaignStatus.Cancelled)
                .SetProperty(c => c.CancelledAt, now)
                .SetProperty(c => c.UpdatedAt, now), ct);
        if (cancelled == 0)
        {
            await transaction.RollbackAsync(ct);
            return await RefusedOrMissingAsync(id, "cancelled", "a scheduled or sending campaign", ct);
        }
        await transaction.CommitAsync(ct);
        return new(Outcome.Done, await db.Campaigns.AsNoTracking().SingleAsync(c => c.Id == id, ct));
    }

    /// <summary>Resends only the Failed recipients of a completed campaign, as its next attempt.</summary>
    public async Task<Result> RetryFailedAsync(long id, CancellationToken ct)
    {
        var current = await db.Campaigns.AsNoTracking().Where(c => c.Id == id).Select(c => new { c.Status, c.Attempt, c.Failed }).SingleOrDefaultAsync(ct);
        if (current is null)
        {
            return Result.Missing;
        }
        if (current.Status != CampaignStatus.Completed || current.Failed == 0)
        {
            return Result.Refused($"Campaign {id} is {current.Status} with {current.Failed} failed messages; only a completed campaign with failures can retry them.");
        }
        var now = Now();
        var attempt = current.Attempt + 1;
        await using var transaction = await db.Database.BeginTransactionAsync(ct);
        var resent = await db.CommunicationLog
            .Where(l => l.CampaignId == id && l.Status == MessageStatus.Failed)
            .ExecuteUpdateAsync(s => s
                .SetProperty(l => l.Status, MessageStatus.Pending)
                .SetProperty(l => l.Attempt, attempt)
                .SetProperty(l => l.CompletedAt, (DateTime?)null), ct);
        // The attempt in the condition makes two concurrent retries resend once.
        var moved = await db.Campaigns
            .Where(c => c.Id == id && c.Status == CampaignStatus.Completed && c.Attempt == current.Attempt)
            .ExecuteUpdateAsync(s => s
                .SetProperty(c => c.Status, CampaignStatus.Sending)
                .SetProperty(c => c.Attempt, attempt)
                .SetProperty(c => c.Failed, c => c.Failed - resent)
                .SetProperty(c => c.CompletedAt, (DateTime?)null)
                .SetProperty(c => c.LastProgressAt, now)
                .SetProperty(c => c.ReconciledAt, (DateTime?)null)
                .SetProperty(c => c.UpdatedAt, now), ct);
        if (moved == 0)
        {
            await transaction.RollbackAsync(ct);
            return Result.Refused($"Campaign {id} changed meanwhile; reload it and try again.");
        }
        await transaction.CommitAsync(ct);
        jobs.Enqueue<CampaignRetryFailedJob>(job => job.RunAsync(id, attempt, CancellationToken.None));
        return new(Outcome.Done, await db.Campaigns.AsNoTracking().SingleAsync(c => c.Id == id, ct));
    }

    /// <summary>Deletes a draft; a campaign that sent anything is history and stays.</summary>
    public async Task<Result> DeleteAsync(long id, CancellationToken ct)
    {
        var deleted = await db.Campaigns.Where(c => c.Id == id && c.Status == CampaignStatus.Draft).ExecuteDeleteAsync(ct);
        return deleted == 1 ? new(Outcome.Done) : await RefusedOrMissingAsync(id, "deleted", "a draft (cancel a scheduled one first)", ct);
    }

    /// <summary>Checks a draft; an empty dictionary means it is valid.</summary>
    public async Task<Dictionary<string, string[]>> ValidateAsync(CampaignDraft draft, CancellationToken ct)
    {
        var errors = new Dictionary<string, string[]>();
        if (string.IsNullOrWhiteSpace(draft.Name))
        {
            errors["name"] = ["Required."];
        }
        else if (draft.Name.Trim().Length > Campaign.NameMaxLength)
        {
            errors["name"] = [$"At most {Campaign.NameMaxLength} characters."];
        }
        if (draft.SegmentId is not { } segmentId)
        {
            errors["segmentId"] = ["Choose the segment to send to."];
        }
        else if (!await db.Segments.AnyAsync(s => s.Id == segmentId, ct))
        {
            errors["segmentId"] = [$"No segment has id {segmentId}."];
        }
        var template = MessageTemplate.Parse(draft.Template ?? "");
        if (template.Errors.Count > 0)
        {
            errors["template"] = [.. template.Errors.Select(e => e.Message)];
        }
        return errors;
    }

    private async Task<Result> RefusedOrMissingAsync(long id, string verb, string allowed, CancellationToken ct)
    {
        var status = await db.Campaigns.Where(c => c.Id == id).Select(c => (CampaignStatus?)c.Status).SingleOrDefaultAsync(ct);
        return status is null ? Result.Missing : Result.Refused($"Campaign {id} is {status}; only {allowed} can be {verb}.");
    }

    private DateTime Now() => clock.GetUtcNow().UtcDateTime;
}
