using Hangfire;
using Microsoft.Extensions.Logging;
using XenoCrm.Core.Data;

namespace XenoCrm.Core.Campaigns.Sending;

/// <summary>
/// Starts a send: the lifecycle's start snapshots the segment's rules and its audience into
/// <c>communication_log</c> (one <c>INSERT … SELECT</c>, all rows Pending) in one transaction, then this enqueues the chunk jobs.
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
        var audience = await CampaignLifecycle.StartAsync(db, campaignId, now, ct);
        if (audience is null)
        {
            return;
        }
        var chunks = await planner.EnqueueAsync(campaignId, attempt: 1, ct);
        await CampaignLifecycle.CompleteFinishedAsync(db, [campaignId], now, ct);
        log.LogInformation("Campaign {CampaignId} started: {Audience} recipients in {Chunks} chunks", campaignId, audience, chunks);
    }
}

public static class CampaignQueues
{
    /// <summary>The Hangfire queue of send jobs, so that operators can give campaigns their own servers.</summary>
    public const string Campaigns = "campaigns";
}
