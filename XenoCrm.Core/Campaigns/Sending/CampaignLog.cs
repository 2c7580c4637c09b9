using System.Text;
using Microsoft.EntityFrameworkCore;
using XenoCrm.Core.Data;
using XenoCrm.Core.Segments;
using XenoCrm.ServiceDefaults.Messaging;

namespace XenoCrm.Core.Campaigns.Sending;

/// <summary>The outcome of one log row's attempt, from a receipt or from a message that could not be rendered.</summary>
public sealed record MessageOutcome(long LogId, int Attempt, DeliveryOutcome Outcome, string? Reason);

/// <summary>How many log rows an application of outcomes moved to each terminal status.</summary>
public readonly record struct AppliedOutcomes(int Sent, int Failed)
{
    public int Moved => Sent + Failed;
}

/// <summary>
/// Every status change of <c>communication_log</c> rows: the audience written Pending, Pending → Submitted,
/// Submitted → Sent or Failed with the campaign counters, Pending → Skipped on cancel, transiently Failed → Pending on retry,
/// each in the caller's transaction. Row locks are taken in id order (log rows, then campaigns), the same order as
/// every other writer, so two consumers applying receipts of one campaign do not deadlock.
/// </summary>
public static class CampaignLog
{
    private const int Pending = (int)MessageStatus.Pending;
    private const int Submitted = (int)MessageStatus.Submitted;
    private const int Skipped = (int)MessageStatus.Skipped;

    private sealed record Row(long Id, long CampaignId, MessageStatus Status, int Attempt);

    /// <summary>
    /// Applies each outcome to its row if the row is still in that attempt and not terminal: a late,
    /// repeated or stale receipt changes nothing. Returns how many rows moved, by status.
    /// </summary>
    public static async Task<AppliedOutcomes> ApplyOutcomesAsync(CrmDbContext db, IReadOnlyCollection<MessageOutcome> outcomes, DateTime now, CancellationToken ct)
    {
        var byId = outcomes.DistinctBy(o => o.LogId).ToDictionary(o => o.LogId);
        if (byId.Count == 0)
        {
            return default;
        }
        var rows = await LockRowsAsync(db, byId.Keys, ct);
        var moving = rows
            .Where(r => r.Status is MessageStatus.Pending or MessageStatus.Submitted or MessageStatus.Skipped && r.Attempt == byId[r.Id].Attempt)
            .ToList();
        if (moving.Count == 0)
        {
            return default;
        }

        foreach (var group in moving.GroupBy(r => (byId[r.Id].Outcome, byId[r.Id].Reason)))
        {
            var status = group.Key.Outcome == DeliveryOutcome.Sent ? MessageStatus.Sent : MessageStatus.Failed;
            await using var update = db.CreateRawCommand();
            var sql = new SqlRows(update, db.Provider);
            var text = new StringBuilder($"UPDATE communication_log SET status = {sql.Add((int)status)}, failure_reason = {sql.Add(Truncate(group.Key.Reason))}, completed_at = {sql.Add(now)} WHERE id IN ");
            sql.AppendRow(text, group.Select(r => (object?)r.Id).ToArray());
            update.CommandText = text.ToString();
            await update.ExecuteNonQueryAsync(ct);
        }

        foreach (var campaign in moving.GroupBy(r => r.CampaignId).OrderBy(g => g.Key))
        {
            var sent = campaign.Count(r => byId[r.Id].Outcome == DeliveryOutcome.Sent);
            var failed = campaign.Count() - sent;
            // A cancel may have marked rows Skipped while their chunk was already with Delivery: the receipt is the truth.
            var unskipped = campaign.Count(r => r.Status == MessageStatus.Skipped);
            await db.Database.ExecuteSqlAsync(
                $"UPDATE campaigns SET sent = sent + {sent}, failed = failed + {failed}, skipped = skipped - {unskipped}, last_progress_at = {now} WHERE id = {campaign.Key}", ct);
        }
        await CampaignLifecycle.CompleteFinishedAsync(db, moving.Select(r => r.CampaignId).Distinct().ToList(), now, ct);
        var sentRows = moving.Count(r => byId[r.Id].Outcome == DeliveryOutcome.Sent);
        return new AppliedOutcomes(sentRows, moving.Count - sentRows);
    }

    /// <summary>
    /// Marks the campaign's Pending rows Skipped and counts them, in the caller's transaction (log rows
    /// first, then the campaign, the order every writer locks them in). Returns how many it skipped.
    /// </summary>
    public static async Task<int> SkipPendingAsync(CrmDbContext db, long campaignId, DateTime now, CancellationToken ct)
    {
        var skipped = await db.CommunicationLog
            .Where(l => l.CampaignId == campaignId && l.Status == MessageStatus.Pending)
            .ExecuteUpdateAsync(s => s.SetProperty(l => l.Status, MessageStatus.Skipped).SetProperty(l => l.CompletedAt, now), ct);
        if (skipped > 0)
        {
            await db.Database.ExecuteSqlAsync($"UPDATE campaigns SET skipped = skipped + {skipped} WHERE id = {campaignId}", ct);
        }
        return skipped;
    }

    /// <summary>Writes a start's audience as Pending rows of attempt 1, in the caller's transaction; returns how many.</summary>
    public static async Task<int> InsertAudienceAsync(CrmDbContext db, long campaignId, RuleGroup rules, DateTime now, CancellationToken ct)
    {
        // EF Core writes the audience query (every rule value a parameter); the INSERT around it is fixed text.
        var audience = db.Customers.Where(SegmentCompiler.Compile(rules, now, db.Provider)).Select(c => c.Id);
        await using var command = audience.CreateDbCommand().InTransactionOf(db);
        // A prefix of its own, so the two added parameters never meet a name EF Core chose.
        var snapshot = new SqlRows(command, db.Provider, prefix: "@snapshot_");
        command.CommandText = $"""
            INSERT INTO communication_log (campaign_id, customer_id, status, attempt, created_at)
            SELECT {snapshot.Add(campaignId)}, a.id, {Pending}, 1, {snapshot.Add(now)} FROM ({command.CommandText}) AS a
            """;
        return await command.ExecuteNonQueryAsync(ct);
    }

    /// <summary>
    /// Moves the campaign's transiently Failed rows back to Pending in <paramref name="attempt"/>, in the caller's
    /// transaction, after recording the attempt each of them failed in (<see cref="EarlierAttempt"/>); permanent
    /// failures stay Failed. Returns how many rows it resent.
    /// </summary>
    public static async Task<int> ResendFailedAsync(CrmDbContext db, long campaignId, int attempt, CancellationToken ct)
    {
        var retryable = db.CommunicationLog
            .Where(l => l.CampaignId == campaignId && l.Status == MessageStatus.Failed)
            .Where(DeliveryFailures.IsRetryable);
        // EF Core writes the SELECT (its columns in the projection's order, every value a parameter); the INSERT is fixed text.
        await using (var record = retryable.Select(l => new { l.Id, l.CampaignId, l.Attempt, l.FailureReason, l.SubmittedAt, l.CompletedAt })
            .CreateDbCommand().InTransactionOf(db))
        {
            record.CommandText = $"""
                INSERT INTO earlier_attempts (log_id, campaign_id, attempt, failure_reason, submitted_at, completed_at)
                SELECT * FROM ({record.CommandText}) AS a
                """;
            await record.ExecuteNonQueryAsync(ct);
        }
        return await retryable.ExecuteUpdateAsync(s => s
            .SetProperty(l => l.Status, MessageStatus.Pending)
            .SetProperty(l => l.Attempt, attempt)
            .SetProperty(l => l.FailureReason, (string?)null)
            .SetProperty(l => l.SubmittedAt, (DateTime?)null)
            .SetProperty(l => l.CompletedAt, (DateTime?)null), ct);
    }

    /// <summary>
    /// Records what a chunk handed to Delivery: the rendered messages, and Pending → Submitted.
    /// A receipt may already have made a row terminal; then only its message is recorded.
    /// </summary>
    public static async Task MarkSubmittedAsync(CrmDbContext db, long campaignId, int attempt, IReadOnlyList<(long LogId, string Message)> submitted, DateTime now, CancellationToken ct)
    {
        await using var update = db.CreateRawCommand();
        var sql = new SqlRows(update, db.Provider);
        var text = new StringBuilder("UPDATE communication_log SET message = CASE id");
        foreach (var (logId, message) in submitted)
        {
            text.Append(" WHEN ").Append(sql.Add(logId)).Append(" THEN ").Append(sql.Add(message));
        }
        text.Append(" END, status = CASE WHEN status = ").Append(Pending).Append(" THEN ").Append(Submitted).Append(" ELSE status END")
            .Append(", submitted_at = ").Append(sql.Add(now))
            .Append(" WHERE attempt = ").Append(sql.Add(attempt)).Append(" AND id IN ");
        sql.AppendRow(text, submitted.Select(s => (object?)s.LogId).ToArray());
        update.CommandText = text.ToString();
        await update.ExecuteNonQueryAsync(ct);
        await db.Database.ExecuteSqlAsync($"UPDATE campaigns SET last_progress_at = {now} WHERE id = {campaignId}", ct);
    }

    private static async Task<List<Row>> LockRowsAsync(CrmDbContext db, IEnumerable<long> ids, CancellationToken ct)
    {
        await using var select = db.CreateRawCommand();
        var sql = new SqlRows(select, db.Provider);
        var text = new StringBuilder("SELECT id, campaign_id, status, attempt FROM communication_log WHERE id IN ");
        sql.AppendRow(text, ids.Order().Select(id => (object?)id).ToArray());
        // SQLite has one writer at a time, so its transaction already excludes the others.
        text.Append(db.Provider == CrmDatabaseProvider.MySql ? " ORDER BY id FOR UPDATE" : " ORDER BY id");
        select.CommandText = text.ToString();
        var rows = new List<Row>();
        await using var reader = await select.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
        {
            rows.Add(new Row(reader.GetInt64(0), reader.GetInt64(1), (MessageStatus)reader.GetInt32(2), reader.GetInt32(3)));
        }
        return rows;
    }

    private static string? Truncate(string? reason) =>
        reason is { Length: > CommunicationLogEntry.FailureReasonMaxLength } ? reason[..CommunicationLogEntry.FailureReasonMaxLength] : reason;
}
