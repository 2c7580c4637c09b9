using Hangfire;
using Microsoft.EntityFrameworkCore;
using XenoCrm.Core.Campaigns;
using XenoCrm.Core.Data;
using XenoCrm.ServiceDefaults.Telemetry;
using XenoCrm.ServiceDefaults.Messaging;

namespace XenoCrm.Web.Pages.SystemStatus;

/// <summary>
/// The System page's figures, read where they are true for the whole deployment: rows and dead letters from the
/// database, queue depths from the broker (the sample <see cref="QueueSampler"/> keeps), jobs from Hangfire's storage.
/// Only "accepted" is this process's own count (<see cref="CrmMetrics"/>), because acceptance leaves no trace in the
/// database; in the distributed mode each Web instance counts its own. Per-second rates compare this sample with the
/// previous one, which this singleton keeps, so they need no metrics backend.
/// </summary>
public sealed class SystemFigures(CrmMetrics metrics, JobStorage jobs, TimeProvider clock)
{
    /// <summary>Samples closer together than this give no rate (the noise would exceed the signal).</summary>
    private static readonly TimeSpan MinimumRateWindow = TimeSpan.FromSeconds(1);

    /// <summary>A newer sample replaces the kept one only after this, so several open pages still measure over seconds.</summary>
    private static readonly TimeSpan KeepFor = TimeSpan.FromSeconds(2);

    private const int RecentFailures = 5;

    private readonly Lock _lock = new();
    private Totals? _previous;

    private sealed record Totals(DateTimeOffset At, long Accepted, long Stored, long Completed, Dictionary<long, long> CampaignsCompleted);

    public sealed record Snapshot(
        DateTimeOffset At,
        IngestionFigures Ingestion,
        IReadOnlyList<QueueFigures> Queues,
        long DeadLetters,
        CampaignFigures Campaigns,
        HangfireFigures Hangfire);

    /// <param name="AcceptedCustomers">Records this Web process answered 202 (its own counter).</param>
    /// <param name="Customers">Rows in the database.</param>
    /// <param name="StoredPerSecond">Growth of customers and orders rows per second.</param>
    /// <param name="CommittedHere">Records the consumers of this process committed: only in the embedded mode, where Web hosts them.</param>
    public sealed record IngestionFigures(
        long AcceptedCustomers, long AcceptedOrders, double? AcceptedPerSecond,
        long Customers, long Orders, double? StoredPerSecond, long? CommittedHere);

    public sealed record QueueFigures(string Queue, long Ready, long? Consumers);

    /// <param name="MessagesPerSecond">Messages of sending campaigns that reached Sent or Failed, per second.</param>
    public sealed record CampaignFigures(long Sending, double? MessagesPerSecond, IReadOnlyList<SendingCampaign> List);

    public sealed record SendingCampaign(long Id, string Name, long? Audience, long Sent, long Failed, double? PerSecond);

    public sealed record HangfireFigures(
        long Servers, long Enqueued, long Scheduled, long Processing, long Succeeded, long Failed,
        IReadOnlyList<HangfireQueueLength> Queues, IReadOnlyList<FailedJob> RecentFailures);

    public sealed record HangfireQueueLength(string Name, long Length, long? Fetched);

    public sealed record FailedJob(string Id, string Job, string Reason, DateTime? FailedAt);

    public async Task<Snapshot> SampleAsync(CrmDbContext db, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(db);
        var at = clock.GetUtcNow();
        // COUNT(*) walks an index: fine every few seconds on an admin page, and exact, which estimates are not.
        var customers = await db.Customers.LongCountAsync(ct);
        var orders = await db.Orders.LongCountAsync(ct);
        var deadLetters = await db.DeadLetters.LongCountAsync(ct);
        var sending = await db.Campaigns.AsNoTracking()
            .Where(c => c.Status == CampaignStatus.Sending)
            .OrderBy(c => c.Id)
            .Select(c => new { c.Id, c.Name, c.AudienceSize, c.Sent, c.Failed })
            .ToListAsync(ct);
        var hangfire = ReadHangfire();

        var acceptedCustomers = metrics.TotalOf("accepted", CrmMetrics.KindOf(Topics.Customers));
        var acceptedOrders = metrics.TotalOf("accepted", CrmMetrics.KindOf(Topics.Orders));
        var committedHere = metrics.TotalOf("committed", CrmMetrics.KindOf(Topics.Customers)) + metrics.TotalOf("committed", CrmMetrics.KindOf(Topics.Orders));
        var now = new Totals(at, acceptedCustomers + acceptedOrders, customers + orders, sending.Sum(c => (long)c.Sent + c.Failed),
            sending.ToDictionary(c => c.Id, c => (long)c.Sent + c.Failed));
        var previous = Exchange(now);

        double? Rate(Func<Totals, long?> value)
        {
            if (previous is null || value(previous) is not { } before || value(now) is not { } after)
            {
                return null;
            }
            var seconds = (now.At - previous.At).TotalSeconds;
            return Math.Max(0, (after - before) / seconds);
        }

        return new Snapshot(
            at,
            new IngestionFigures(acceptedCustomers, acceptedOrders, Rate(t => t.Accepted), customers, orders, Rate(t => t.Stored),
                committedHere > 0 ? committedHere : null),
            metrics.Queues.Select(q => new QueueFigures(q.Queue, q.Ready, q.Consumers)).ToList(),
            deadLetters,
            new CampaignFigures(sending.Count,
                // Campaigns that finished in between left the sum: compare only those sending in both samples.
                previous is null ? null : Rate(t => t.CampaignsCompleted.Where(c => now.CampaignsCompleted.ContainsKey(c.Key) && previous.CampaignsCompleted.ContainsKey(c.Key)).Sum(c => c.Value)),
                sending.Select(c => new SendingCampaign(c.Id, c.Name, c.AudienceSize, c.Sent, c.Failed,
                    previous?.CampaignsCompleted.ContainsKey(c.Id) == true ? Rate(t => t.CampaignsCompleted.GetValueOrDefault(c.Id)) : null)).ToList()),
            hangfire);
    }

    /// <summary>Returns the kept sample if it is old enough to measure against, and keeps the new one once the kept one is stale.</summary>
    private Totals? Exchange(Totals now)
    {
        lock (_lock)
        {
            var previous = _previous;
            if (previous is null || now.At - previous.At >= KeepFor)
            {
                _previous = now;
            }
            return previous is not null && now.At - previous.At >= MinimumRateWindow ? previous : null;
        }
    }

    private HangfireFigures ReadHangfire()
    {
        var monitoring = jobs.GetMonitoringApi();
        var statistics = monitoring.GetStatistics();
        var queues = monitoring.Queues().Select(q => new HangfireQueueLength(q.Name, q.Length, q.Fetched)).ToList();
        var failures = monitoring.FailedJobs(0, RecentFailures)
            .Select(f => new FailedJob(f.Key, f.Value.Job is { } job ? $"{job.Type.Name}.{job.Method.Name}({string.Join(", ", job.Args)})" : "(unknown job)",
                f.Value.ExceptionMessage ?? f.Value.Reason ?? "", f.Value.FailedAt))
            .ToList();
        return new HangfireFigures(statistics.Servers, statistics.Enqueued, statistics.Scheduled, statistics.Processing,
            statistics.Succeeded, statistics.Failed, queues, failures);
    }
}
