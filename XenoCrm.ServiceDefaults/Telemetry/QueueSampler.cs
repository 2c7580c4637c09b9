using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using XenoCrm.ServiceDefaults.Messaging;

namespace XenoCrm.ServiceDefaults.Telemetry;

/// <summary>
/// Samples the bus's queues every <see cref="Interval"/> into <see cref="CrmMetrics.Queues"/>, which the gauges and the
/// System page read: a scrape or a page refresh never waits for the broker, and the broker sees one passive declare
/// per queue and interval per process, however often either asks.
/// </summary>
public sealed class QueueSampler(IQueueInspector inspector, CrmMetrics metrics, ILogger<QueueSampler> logger) : BackgroundService
{
    public static readonly TimeSpan Interval = TimeSpan.FromSeconds(3);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(Interval);
        do
        {
            try
            {
                using var timeout = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
                timeout.CancelAfter(Interval);
                metrics.Queues = await inspector.InspectAsync(timeout.Token);
            }
            catch (Exception ex) when (!stoppingToken.IsCancellationRequested)
            {
                // A stale depth would look like a healthy one: while the broker does not answer there is none.
                metrics.Queues = [];
                logger.LogDebug("Sampling the queues failed: {Error}", ex.Message);
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken));
    }
}
