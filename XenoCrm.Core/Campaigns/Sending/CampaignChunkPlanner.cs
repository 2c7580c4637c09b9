using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using XenoCrm.Core.Data;

namespace XenoCrm.Core.Campaigns.Sending;

/// <summary>
/// Splits a campaign's open recipients (Pending or Submitted in the current attempt) into id ranges
/// of at most <see cref="CampaignOptions.ChunkSize"/> rows, in one set-based query, and enqueues a
/// chunk job per range. The same plan serves the first send, "retry failed" and the reconciler.
/// </summary>
public sealed class CampaignChunkPlanner(CrmDbContext db, ICampaignSendJobs sendJobs, IOptions<CampaignOptions> options)
{
    public async Task<int> EnqueueAsync(long campaignId, int attempt, CancellationToken ct)
    {
        var size = options.Value.ChunkSize;
        var starts = await db.Database.SqlQuery<long>($"""
            SELECT t.id AS Value FROM (
                SELECT id, ROW_NUMBER() OVER (ORDER BY id) AS rn FROM communication_log
                WHERE campaign_id = {campaignId} AND attempt = {attempt} AND status IN ({(int)MessageStatus.Pending}, {(int)MessageStatus.Submitted})
            ) AS t
            WHERE (t.rn - 1) % {size} = 0
            ORDER BY t.id
            """).ToListAsync(ct);
        for (var i = 0; i < starts.Count; i++)
        {
            var (chunk, from, to) = (i + 1, starts[i], i + 1 < starts.Count ? starts[i + 1] : long.MaxValue);
            sendJobs.SendChunk(campaignId, chunk, starts.Count, attempt, from, to);
        }
        return starts.Count;
    }
}
