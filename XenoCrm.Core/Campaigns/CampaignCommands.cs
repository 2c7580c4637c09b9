using Microsoft.EntityFrameworkCore;
using XenoCrm.Core.Audit;
using XenoCrm.Core.Data;
using XenoCrm.Core.Campaigns.Sending;

namespace XenoCrm.Core.Campaigns;

/// <summary>
/// What a marketer may do to a campaign, shared by the pages and the API: each command validates its input, asks
/// <see cref="CampaignLifecycle"/> whether the campaign's status allows it, and lets the lifecycle make the change. The
/// commands that send, stop or delete take who asked (<see cref="AuditActor"/>), which the lifecycle records in the audit log.
/// </summary>
public sealed class CampaignCommands(CrmDbContext db, ICampaignSendJobs sendJobs, AuditTrail audit, TimeProvider clock)
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
        var campaign = CampaignLifecycle.NewDraft(draft.Name!.Trim(), draft.SegmentId, draft.Template!, author, Now());
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
        if (!CampaignLifecycle.Allows(campaign.Status, CampaignCommand.Edit))
        {
            return Result.Refused($"Campaign {id} is {campaign.Status}; only a draft or a scheduled campaign can be edited.");
        }
        var errors = await ValidateAsync(draft, ct);
        if (errors.Count > 0)
        {
            return Result.Invalid(errors);
        }
        CampaignLifecycle.Edit(campaign, draft.Name!.Trim(), draft.SegmentId, draft.Template!, Now());
        await db.SaveChangesAsync(ct);
        return new(Outcome.Done, campaign);
    }

    /// <summary>Sends now (<paramref name="at"/> null) or schedules a draft; a scheduled campaign can be moved or sent now.</summary>
    /// <param name="timeZone">The IANA zone the operator chose the time in, kept to show it back the same way.</param>
    public async Task<Result> SendAsync(long id, DateTime? at, string? timeZone, AuditActor by, CancellationToken ct)
    {
        if (await db.Campaigns.SingleOrDefaultAsync(c => c.Id == id, ct) is not { } campaign)
        {
            return Result.Missing;
        }
        if (!CampaignLifecycle.Allows(campaign.Status, at is null ? CampaignCommand.SendNow : CampaignCommand.Schedule))
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

        if (at is { } scheduled)
        {
            await CampaignLifecycle.ScheduleAsync(db, audit, by, campaign, scheduled.ToUniversalTime(), timeZone, now, ct);
            return new(Outcome.Done, campaign);
        }
        await CampaignLifecycle.SendNowAsync(db, sendJobs, audit, by, campaign, now, ct);
        return new(Outcome.Done, campaign);
    }

    /// <summary>Stops a scheduled or sending campaign: recipients not yet handed to Delivery end Skipped.</summary>
    public async Task<Result> CancelAsync(long id, AuditActor by, CancellationToken ct)
    {
        if (!await CampaignLifecycle.CancelAsync(db, audit, by, id, Now(), ct))
        {
            return await RefusedOrMissingAsync(id, "cancelled", "a scheduled or sending campaign", ct);
        }
        return new(Outcome.Done, await db.Campaigns.AsNoTracking().SingleAsync(c => c.Id == id, ct));
    }

    /// <summary>Resends the transiently Failed recipients of a completed campaign, as its next attempt; permanent failures are never resent.</summary>
    public async Task<Result> RetryFailedAsync(long id, AuditActor by, CancellationToken ct)
    {
        var current = await db.Campaigns.AsNoTracking().Where(c => c.Id == id).Select(c => new { c.Status, c.Attempt, c.Failed }).SingleOrDefaultAsync(ct);
        if (current is null)
        {
            return Result.Missing;
        }
        if (!CampaignLifecycle.Allows(current.Status, CampaignCommand.RetryFailed) || current.Failed == 0)
        {
            return Result.Refused($"Campaign {id} is {current.Status} with {current.Failed} failed messages; only a completed campaign with failures can retry them.");
        }
        var plan = await CampaignStatistics.RetryPlanAsync(db, id, ct);
        if (plan.Retryable == 0)
        {
            return Result.Refused($"All {plan.Permanent} failed messages of campaign {id} failed permanently (a bounced address, an unknown recipient, a complaint or a template error); they are not sent again.");
        }
        if (await CampaignLifecycle.RetryFailedAsync(db, sendJobs, audit, by, id, current.Attempt, Now(), ct) is null)
        {
            return Result.Refused($"Campaign {id} changed meanwhile; reload it and try again.");
        }
        return new(Outcome.Done, await db.Campaigns.AsNoTracking().SingleAsync(c => c.Id == id, ct));
    }

    /// <summary>Deletes a draft; a campaign that sent anything is history and stays.</summary>
    public async Task<Result> DeleteAsync(long id, AuditActor by, CancellationToken ct)
    {
        return await CampaignLifecycle.DeleteAsync(db, audit, by, id, ct) ? new(Outcome.Done) : await RefusedOrMissingAsync(id, "deleted", "a draft (cancel a scheduled one first)", ct);
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
