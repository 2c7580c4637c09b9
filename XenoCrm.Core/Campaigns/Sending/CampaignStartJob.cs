using System.Data;
using Hangfire;
using Microsoft.EntityFrameworkCore.Storage;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using XenoCrm.Core.Data;
using XenoCrm.Core.Segments;

namespace XenoCrm.Core.Campaigns.Sending;

/// <summary>
/// Starts a send: snapshots the segment's rules and its audience into <c>communication_log</c>
/// (one <c>INSERT … SELECT</c>, all rows Pending) in one transaction, then enqueues the chunk jobs.
/// A crash after the commit leaves the campaign Sending with Pending rows and no progress, which
/// the reconciler finishes by planning the chunks again.
/// </summary>
[Queue(CampaignQueues.Campaigns)]
public sealed class CampaignStartJob(CrmDbContext db, CampaignChunkPlanner planner, TimeProvider clock, ILogger<CampaignStartJob> log)
{
    [JobDisplayName("Campaign {0} · start")]
    [AutomaticRetry(Attempts = 10, DelaysInSeconds = [2, 5, 10, 30, 60, 60, 120, 300, 600, 600])]
    public async Task RunAsync(long campaignId, CancellationToken ct)
    {
        using var scope = log.BeginScope(CampaignScope.Of(campaignId));
        var now = clock.GetUtcNow().UtcDateTime;
        var audience = await SnapshotAudienceAsync(db, campaignId, now, ct);
        if (audience is null)
        {
            return;
        }
        var chunks = await planner.EnqueueAsync(campaignId, attempt: 1, ct);
        await CampaignLog.CompleteFinishedAsync(db, [campaignId], now, ct);
        log.LogInformation("Campaign {CampaignId} started: {Audience} recipients in {Chunks} chunks", campaignId, audience, chunks);
    }

    /// <summary>
    /// Takes the audience of a campaign that is due (Scheduled, or Sending after "send now") and not yet
    /// snapshotted; returns its size, or null when there was nothing to do.
    /// </summary>
    public static async Task<int?> SnapshotAudienceAsync(CrmDbContext db, long campaignId, DateTime now, CancellationToken ct)
    {
        // Read committed: the snapshot must not lock the customers it reads against ingestion.
        await using var transaction = await db.Database.BeginTransactionAsync(
            db.Provider == CrmDatabaseProvider.MySql ? IsolationLevel.ReadCommitted : IsolationLevel.Serializable, ct);
        // The update locks the campaign: a second start waits here, then finds the audience taken.
        var claimed = await db.Campaigns
            .Where(c => c.Id == campaignId && c.AudienceSize == null
                        && (c.Status == CampaignStatus.Sending || (c.Status == CampaignStatus.Scheduled && c.ScheduledAt <= now)))
            .ExecuteUpdateAsync(s => s.SetProperty(c => c.UpdatedAt, now), ct);
        if (claimed == 0)
        {
            return null;
        }
        var campaign = await db.Campaigns.Include(c => c.Segment).SingleAsync(c => c.Id == campaignId, ct);
        campaign.Status = CampaignStatus.Sending;
        campaign.StartedAt ??= now;
        campaign.LastProgressAt = now;
        if (campaign.Segment is null)
        {
            // Only possible if the segment was deleted under a draft sent at the same moment.
            campaign.AudienceSize = 0;
            campaign.Status = CampaignStatus.Cancelled;
            campaign.CancelledAt = now;
        }
        else
        {
            campaign.RulesSnapshot = campaign.Segment.Rules;
            campaign.SegmentNameSnapshot = campaign.Segment.Name;
            campaign.AudienceSize = await InsertAudienceAsync(db, campaignId, SegmentRulesJson.Read(campaign.Segment.Rules), now, ct);
        }
        await db.SaveChangesAsync(ct);
        await transaction.CommitAsync(ct);
        return campaign.AudienceSize;
    }

    private static async Task<int> InsertAudienceAsync(CrmDbContext db, long campaignId, RuleGroup rules, DateTime now, CancellationToken ct)
    {
        // EF Core writes the audience query (every rule value a parameter); the INSERT around it is fixed text.
        var audience = db.Customers.Where(SegmentCompiler.Compile(rules, now, db.Provider)).Select(c => c.Id);
        await using var command = audience.CreateDbCommand();
        command.Transaction = db.Database.CurrentTransaction!.GetDbTransaction();
        command.CommandText = $"""
            INSERT INTO communication_log (campaign_id, customer_id, status, attempt, created_at)
            SELECT @snapshot_campaign_id, a.id, {(int)MessageStatus.Pending}, 1, @snapshot_created_at FROM ({command.CommandText}) AS a
            """;
        AddParameter(command, "@snapshot_campaign_id", campaignId);
        AddParameter(command, "@snapshot_created_at", now);
        return await command.ExecuteNonQueryAsync(ct);
    }

    private static void AddParameter(System.Data.Common.DbCommand command, string name, object value)
    {
        var parameter = command.CreateParameter();
        parameter.ParameterName = name;
        parameter.Value = value;
        command.Parameters.Add(parameter);
    }
}

public static class CampaignQueues
{
    /// <summary>The Hangfire queue of send jobs, so that operators can give campaigns their own servers.</summary>
    public const string Campaigns = "campaigns";
}
