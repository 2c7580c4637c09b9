using Hangfire;
using Microsoft.Extensions.Logging;

namespace XenoCrm.Core.Campaigns.Sending;

/// <summary>Plans the chunks of a "retry failed" attempt, whose rows the Web request already moved back to Pending.</summary>
[Queue(CampaignQueues.Campaigns)]
public sealed class CampaignRetryFailedJob(CampaignChunkPlanner planner, ILogger<CampaignRetryFailedJob> log)
{
    [JobDisplayName("Campaign {0} · retry failed (attempt {1})")]
    [AutomaticRetry(Attempts = 10, DelaysInSeconds = [2, 5, 10, 30, 60, 60, 120, 300, 600, 600])]
    public async Task RunAsync(long campaignId, int attempt, CancellationToken ct)
    {
        using var scope = log.BeginScope(CampaignScope.Of(campaignId));
        var chunks = await planner.EnqueueAsync(campaignId, attempt, ct);
        log.LogInformation("Campaign {CampaignId} attempt {Attempt}: {Chunks} chunks of failed recipients enqueued", campaignId, attempt, chunks);
    }
}
