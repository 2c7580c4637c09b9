using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using XenoCrm.Core.Data;

namespace XenoCrm.Core.Campaigns.Sending;

/// <summary>
/// The safety net of sends, run by every Workers process: starts scheduled campaigns that are due,
/// skips what a cancel left pending, and redoes the remaining work of a sending campaign that made no progress for
/// <see cref="CampaignOptions.StallTimeout"/> (a job lost with its server or with Hangfire's storage,
/// a lost receipt, a crash between the start job's commit and its enqueues). MySQL is the source of
/// truth, so this works even when Hangfire's storage lost everything. A lease on the campaign row
/// lets one process at a time repair a campaign.
/// </summary>
public sealed class CampaignReconciler(IServiceScopeFactory scopes, IOptions<CampaignOptions> options, TimeProvider clock, ILogger<CampaignReconciler> log)
    : BackgroundService
{
    // Campaigns repaired per pass: the work is bounded whatever the backlog.
    private const int BatchSize = 50;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.Value.ReconcileInterval, clock);
        do
        {
            try
            {
                await ReconcileAsync(stoppingToken);
            }
            catch (Exception ex) when (!stoppingToken.IsCancellationRequested)
            {
                log.LogWarning(ex, "Campaign reconciliation failed; trying again in {Interval}", options.Value.ReconcileInterval);
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken));
    }

    public async Task ReconcileAsync(CancellationToken ct)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<CrmDbContext>();
        var sendJobs = scope.ServiceProvider.GetRequiredService<ICampaignSendJobs>();
        var planner = scope.ServiceProvider.GetRequiredService<CampaignChunkPlanner>();
        var now = clock.GetUtcNow().UtcDateTime;
        var stalledBefore = now - options.Value.StallTimeout;

        var due = await db.Campaigns.AsNoTracking()
            .Where(c => c.Status == CampaignStatus.Scheduled && c.ScheduledAt <= now && (c.ReconciledAt == null || c.ReconciledAt < stalledBefore))
            .OrderBy(c => c.ScheduledAt).Select(c => c.Id).Take(BatchSize).ToListAsync(ct);
        foreach (var id in due)
        {
            if (await TakeLeaseAsync(db, id, CampaignStatus.Scheduled, stalledBefore, now, ct))
            {
                sendJobs.Start(id);
                log.LogInformation("Campaign {CampaignId} is due: start enqueued", id);
            }
        }

        // A cancel that met a start job mid-snapshot leaves that snapshot's rows Pending: skip them.
        var leftovers = await db.Campaigns.AsNoTracking()
            .Where(c => c.Status == CampaignStatus.Cancelled && c.AudienceSize != null && c.Sent + c.Failed + c.Skipped < c.AudienceSize
                        && (c.ReconciledAt == null || c.ReconciledAt < stalledBefore))
            .OrderBy(c => c.Id).Select(c => c.Id).Take(BatchSize).ToListAsync(ct);
        foreach (var id in leftovers)
        {
            if (await TakeLeaseAsync(db, id, CampaignStatus.Cancelled, stalledBefore, now, ct))
            {
                await using var transaction = await db.Database.BeginTransactionAsync(ct);
                var skipped = await CampaignLog.SkipPendingAsync(db, id, now, ct);
                await transaction.CommitAsync(ct);
                if (skipped > 0)
                {
                    log.LogWarning("Cancelled campaign {CampaignId} still had {Skipped} pending recipients: skipped", id, skipped);
                }
            }
        }

        var stalled = await db.Campaigns.AsNoTracking()
            .Where(c => c.Status == CampaignStatus.Sending && (c.LastProgressAt == null || c.LastProgressAt < stalledBefore)
                        && (c.ReconciledAt == null || c.ReconciledAt < stalledBefore))
            .OrderBy(c => c.Id).Select(c => new { c.Id, c.AudienceSize, c.Attempt }).Take(BatchSize).ToListAsync(ct);
        foreach (var campaign in stalled)
        {
            if (!await TakeLeaseAsync(db, campaign.Id, CampaignStatus.Sending, stalledBefore, now, ct))
            {
                continue;
            }
            if (campaign.AudienceSize is null)
            {
                sendJobs.Start(campaign.Id);
                log.LogWarning("Campaign {CampaignId} stalled before its audience was taken: start enqueued again", campaign.Id);
                continue;
            }
            var chunks = await planner.EnqueueAsync(campaign.Id, campaign.Attempt, ct);
            await CampaignLifecycle.CompleteFinishedAsync(db, [campaign.Id], now, ct);
            log.LogWarning("Campaign {CampaignId} made no progress for {StallTimeout}: {Chunks} chunks of its open recipients enqueued again",
                campaign.Id, options.Value.StallTimeout, chunks);
        }
    }

    private static async Task<bool> TakeLeaseAsync(CrmDbContext db, long campaignId, CampaignStatus status, DateTime stalledBefore, DateTime now, CancellationToken ct) =>
        await db.Campaigns
            .Where(c => c.Id == campaignId && c.Status == status && (c.ReconciledAt == null || c.ReconciledAt < stalledBefore))
            .ExecuteUpdateAsync(s => s.SetProperty(c => c.ReconciledAt, now), ct) == 1;
}
