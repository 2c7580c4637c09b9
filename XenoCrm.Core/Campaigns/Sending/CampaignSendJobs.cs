using Hangfire;

namespace XenoCrm.Core.Campaigns.Sending;

/// <summary>
/// The send jobs a campaign's commands and the Workers role hand over, by what they do. Callers never name a job class
/// or Hangfire: the jobs' types, queue and stored names stay the sending code's business.
/// </summary>
public interface ICampaignSendJobs
{
    /// <summary>Snapshots the audience of a campaign that is due, then plans its chunks.</summary>
    void Start(long campaignId);

    /// <summary>Plans the chunks of a "retry failed" attempt whose rows are already back to Pending.</summary>
    void RetryFailed(long campaignId, int attempt);

    /// <summary>Sends the open recipients of one id range [<paramref name="fromId"/>, <paramref name="toId"/>) of an attempt.</summary>
    void SendChunk(long campaignId, int chunk, int chunkCount, int attempt, long fromId, long toId);
}

/// <summary>The send jobs on Hangfire (Redis in the distributed mode, memory in the embedded one).</summary>
public sealed class HangfireCampaignSendJobs(IBackgroundJobClient jobs) : ICampaignSendJobs
{
    public void Start(long campaignId) =>
        jobs.Enqueue<CampaignStartJob>(job => job.RunAsync(campaignId, CancellationToken.None));

    public void RetryFailed(long campaignId, int attempt) =>
        jobs.Enqueue<CampaignRetryFailedJob>(job => job.RunAsync(campaignId, attempt, CancellationToken.None));

    public void SendChunk(long campaignId, int chunk, int chunkCount, int attempt, long fromId, long toId) =>
        jobs.Enqueue<CampaignChunkJob>(job => job.RunAsync(campaignId, chunk, chunkCount, attempt, fromId, toId, CancellationToken.None));
}
