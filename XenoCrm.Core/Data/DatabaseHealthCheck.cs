using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace XenoCrm.Core.Data;

/// <summary>A round trip to the CRM database (MySQL or the embedded SQLite file).</summary>
internal sealed class DatabaseHealthCheck(CrmDbContext db) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        // A query rather than CanConnectAsync: a pooled connection can "open" without talking to the server.
        await db.Database.ExecuteSqlRawAsync("SELECT 1", cancellationToken).WaitAsync(cancellationToken).ConfigureAwait(false);
        return HealthCheckResult.Healthy();
    }
}
