using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.EntityFrameworkCore;
using XenoCrm.Core.Data;

namespace XenoCrm.Core.Campaigns;

/// <summary>
/// The read side of campaigns, shared by the pages and the API so that both show the same numbers.
/// Counters come from the campaign row, which moves in the same transaction as the log rows it counts.
/// </summary>
public static class CampaignStatistics
{
    public sealed record Summary(
        long Id,
        string Name,
        [property: JsonConverter(typeof(JsonStringEnumConverter<CampaignStatus>))] CampaignStatus Status,
        long? SegmentId,
        string? SegmentName,
        int? AudienceSize,
        int Sent,
        int Failed,
        int Skipped,
        int Attempt,
        DateTime? ScheduledAt,
        string? TimeZone,
        DateTime? StartedAt,
        DateTime? CompletedAt,
        string CreatedBy,
        DateTime CreatedAt)
    {
        /// <summary>Recipients not yet Sent, Failed or Skipped; null until the audience is taken.</summary>
        public int? Pending => AudienceSize - Sent - Failed - Skipped;

        /// <summary>Sent ÷ (sent + failed), null before any outcome.</summary>
        public double? DeliveryRate => Sent + Failed == 0 ? null : Math.Round((double)Sent / (Sent + Failed), 4);

        /// <summary>Share of the audience that reached a final status, 0–1.</summary>
        public double Progress => AudienceSize is null or 0 ? (Status == CampaignStatus.Completed ? 1 : 0) : (double)(Sent + Failed + Skipped) / AudienceSize.Value;
    }

    /// <summary>Failures of one reason in one attempt; <paramref name="Permanent"/> ones are never retried.</summary>
    public sealed record FailureReason(string Reason, int Attempt, int Count, bool Permanent);

    /// <summary>What "retry failed" would do now: resend the <paramref name="Retryable"/> (transient) failures, keep the permanent ones.</summary>
    public sealed record RetryPlan(int Retryable, int Permanent);

    /// <param name="Failures">Every attempt's failures, the ones a retry resent included (from <see cref="EarlierAttempt"/>).</param>
    public sealed record Detail(Summary Campaign, string Template, JsonElement? Rules, bool RulesFrozen, IReadOnlyList<FailureReason> Failures, RetryPlan Retry);

    public sealed record MessageRow(
        long Id,
        long CustomerId,
        string CustomerName,
        string Email,
        [property: JsonConverter(typeof(JsonStringEnumConverter<MessageStatus>))] MessageStatus Status,
        int Attempt,
        string? FailureReason,
        string? Message,
        DateTime? SubmittedAt,
        DateTime? CompletedAt);

    /// <param name="At">The start of the bucket (UTC).</param>
    public sealed record TimelinePoint(DateTime At, int Sent, int Failed);

    public static IQueryable<Summary> Summaries(CrmDbContext db) => Summarize(db.Campaigns);

    /// <summary>The summaries of some campaigns, newest first (a list page polling its rows' progress).</summary>
    public static IQueryable<Summary> Summaries(CrmDbContext db, IReadOnlyCollection<long> ids) => Summarize(db.Campaigns.Where(c => ids.Contains(c.Id)));

    // Filters go before the projection: EF cannot translate a condition on a record built by its constructor.
    private static IQueryable<Summary> Summarize(IQueryable<Campaign> campaigns) =>
        campaigns.AsNoTracking()
            .OrderByDescending(c => c.CreatedAt).ThenByDescending(c => c.Id)
            .Select(c => new Summary(
                c.Id, c.Name, c.Status, c.SegmentId, c.SegmentNameSnapshot ?? c.Segment!.Name, c.AudienceSize, c.Sent, c.Failed, c.Skipped, c.Attempt,
                c.ScheduledAt, c.TimeZone, c.StartedAt, c.CompletedAt, c.CreatedBy, c.CreatedAt));

    public static async Task<Detail?> DetailAsync(CrmDbContext db, long id, CancellationToken ct)
    {
        var summary = await Summarize(db.Campaigns.Where(c => c.Id == id)).SingleOrDefaultAsync(ct);
        if (summary is null)
        {
            return null;
        }
        var campaign = await db.Campaigns.AsNoTracking().Where(c => c.Id == id)
            .Select(c => new { c.Template, c.RulesSnapshot, CurrentRules = c.Segment!.Rules })
            .SingleAsync(ct);
        var current = await db.CommunicationLog.AsNoTracking()
            .Where(l => l.CampaignId == id && l.Status == MessageStatus.Failed)
            .GroupBy(l => new { l.FailureReason, l.Attempt })
            .Select(g => new { g.Key.FailureReason, g.Key.Attempt, Count = g.Count() })
            .ToListAsync(ct);
        var earlier = await db.EarlierAttempts.AsNoTracking()
            .Where(a => a.CampaignId == id)
            .GroupBy(a => new { a.FailureReason, a.Attempt })
            .Select(g => new { g.Key.FailureReason, g.Key.Attempt, Count = g.Count() })
            .ToListAsync(ct);
        var failures = current.Concat(earlier)
            .GroupBy(f => (f.FailureReason, f.Attempt))
            .Select(g => new FailureReason(g.Key.FailureReason ?? "Unknown", g.Key.Attempt, g.Sum(f => f.Count), DeliveryFailures.IsPermanent(g.Key.FailureReason)))
            .OrderBy(f => f.Attempt).ThenByDescending(f => f.Count).ThenBy(f => f.Reason, StringComparer.Ordinal)
            .ToList();
        var permanent = current.Where(f => DeliveryFailures.IsPermanent(f.FailureReason)).Sum(f => f.Count);
        var retry = new RetryPlan(current.Sum(f => f.Count) - permanent, permanent);
        var rules = campaign.RulesSnapshot ?? campaign.CurrentRules;
        return new Detail(summary, campaign.Template, rules is null ? null : JsonDocument.Parse(rules).RootElement.Clone(), campaign.RulesSnapshot is not null, failures, retry);
    }

    /// <summary>How many of the campaign's Failed rows a retry would resend, by the same rule the retry resends them by.</summary>
    public static async Task<RetryPlan> RetryPlanAsync(CrmDbContext db, long campaignId, CancellationToken ct)
    {
        var failed = db.CommunicationLog.Where(l => l.CampaignId == campaignId && l.Status == MessageStatus.Failed);
        var all = await failed.CountAsync(ct);
        var retryable = all == 0 ? 0 : await failed.Where(DeliveryFailures.IsRetryable).CountAsync(ct);
        return new RetryPlan(retryable, all - retryable);
    }

    /// <summary>The log of one campaign, by id; <paramref name="search"/> matches the customer's name or email.</summary>
    public static IQueryable<MessageRow> Messages(CrmDbContext db, long campaignId, MessageStatus? status, string? search)
    {
        var log = db.CommunicationLog.AsNoTracking().Where(l => l.CampaignId == campaignId);
        if (status is { } wanted)
        {
            log = log.Where(l => l.Status == wanted);
        }
        if (!string.IsNullOrWhiteSpace(search))
        {
            var pattern = "%" + LikePattern.Escape(search.Trim()) + "%";
            log = log.Where(l => EF.Functions.Like(l.Customer!.Name, pattern, LikePattern.EscapeCharacter)
                                 || EF.Functions.Like(l.Customer!.Email, pattern, LikePattern.EscapeCharacter));
        }
        return log.OrderBy(l => l.Id).Select(l => new MessageRow(
            l.Id, l.CustomerId, l.Customer!.Name, l.Customer.Email, l.Status, l.Attempt, l.FailureReason, l.Message, l.SubmittedAt, l.CompletedAt));
    }

    /// <summary>
    /// Messages reaching Sent or Failed over time, in buckets sized to the campaign's duration (for the chart); the
    /// failures of attempts a retry resent count where they happened.
    /// </summary>
    public static async Task<IReadOnlyList<TimelinePoint>> TimelineAsync(CrmDbContext db, long campaignId, CancellationToken ct)
    {
        var span = await db.CommunicationLog.AsNoTracking()
            .Where(l => l.CampaignId == campaignId && l.CompletedAt != null)
            .GroupBy(l => 1)
            .Select(g => new { First = g.Min(l => l.CompletedAt), Last = g.Max(l => l.CompletedAt) })
            .SingleOrDefaultAsync(ct);
        var earlierSpan = await db.EarlierAttempts.AsNoTracking()
            .Where(a => a.CampaignId == campaignId && a.CompletedAt != null)
            .GroupBy(a => 1)
            .Select(g => new { First = g.Min(a => a.CompletedAt), Last = g.Max(a => a.CompletedAt) })
            .SingleOrDefaultAsync(ct);
        DateTime? firstSeen = Earliest(span?.First, earlierSpan?.First), lastSeen = Latest(span?.Last, earlierSpan?.Last);
        if (firstSeen is not { } first || lastSeen is not { } last)
        {
            return [];
        }
        var seconds = (last - first).TotalSeconds;
        var bucket = seconds <= 120 ? 1 : seconds <= 7_200 ? 60 : 3_600;
        var sent = (int)MessageStatus.Sent;
        var failed = (int)MessageStatus.Failed;
        var rows = db.Provider == CrmDatabaseProvider.MySql
            ? db.Database.SqlQuery<Bucket>($"""
                SELECT TIMESTAMPDIFF(SECOND, {first}, t.completed_at) DIV {bucket} AS N,
                       SUM(CASE WHEN t.status = {sent} THEN 1 ELSE 0 END) AS Sent, SUM(CASE WHEN t.status = {failed} THEN 1 ELSE 0 END) AS Failed
                FROM (SELECT status, completed_at FROM communication_log WHERE campaign_id = {campaignId} AND completed_at IS NOT NULL
                      UNION ALL
                      SELECT {failed}, completed_at FROM earlier_attempts WHERE campaign_id = {campaignId} AND completed_at IS NOT NULL) AS t
                GROUP BY N ORDER BY N
                """)
            : db.Database.SqlQuery<Bucket>($"""
                SELECT CAST((julianday(t.completed_at) - julianday({first})) * 86400 AS INTEGER) / {bucket} AS N,
                       SUM(CASE WHEN t.status = {sent} THEN 1 ELSE 0 END) AS Sent, SUM(CASE WHEN t.status = {failed} THEN 1 ELSE 0 END) AS Failed
                FROM (SELECT status, completed_at FROM communication_log WHERE campaign_id = {campaignId} AND completed_at IS NOT NULL
                      UNION ALL
                      SELECT {failed}, completed_at FROM earlier_attempts WHERE campaign_id = {campaignId} AND completed_at IS NOT NULL) AS t
                GROUP BY N ORDER BY N
                """);
        return [.. (await rows.ToListAsync(ct)).Select(b => new TimelinePoint(first.AddSeconds(b.N * bucket), (int)b.Sent, (int)b.Failed))];
    }

    private static DateTime? Earliest(DateTime? a, DateTime? b) => a is null ? b : b is null ? a : a < b ? a : b;

    private static DateTime? Latest(DateTime? a, DateTime? b) => a is null ? b : b is null ? a : a > b ? a : b;

    public static bool TryParseStatus(string? value, out MessageStatus? status)
    {
        status = null;
        if (string.IsNullOrWhiteSpace(value))
        {
            return true;
        }
        if (Enum.TryParse<MessageStatus>(value, ignoreCase: true, out var parsed) && Enum.IsDefined(parsed) && !int.TryParse(value, out _))
        {
            status = parsed;
            return true;
        }
        return false;
    }

    private sealed record Bucket(long N, decimal Sent, decimal Failed);
}
