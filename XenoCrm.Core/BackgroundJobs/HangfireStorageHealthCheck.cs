using Hangfire;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace XenoCrm.Core.BackgroundJobs;

/// <summary>A read from Hangfire's storage (Redis, or memory in the embedded mode), through Hangfire itself.</summary>
internal sealed class HangfireStorageHealthCheck(JobStorage storage) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        // Hangfire's storage API is synchronous: run it off the request's thread so that the timeout can abandon it.
        // Any read is a round trip to Redis; a hash that does not exist costs nothing.
        await Task.Run(() =>
        {
            using var connection = storage.GetConnection();
            connection.GetAllEntriesFromHash("xenocrm-health");
        }, cancellationToken).WaitAsync(cancellationToken).ConfigureAwait(false);
        return HealthCheckResult.Healthy();
    }
}
