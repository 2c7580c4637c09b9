using Microsoft.Extensions.Diagnostics.HealthChecks;
using XenoCrm.ServiceDefaults.Messaging;

namespace XenoCrm.ServiceDefaults.Health;

/// <summary>The broker answers on the bus's own connection, the one this process publishes and consumes on.</summary>
internal sealed class RabbitMqHealthCheck(RabbitMqBus bus) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        // WaitAsync: the timeout must hold even if a socket call in the client does not watch the token.
        await bus.CheckBrokerAsync(cancellationToken).WaitAsync(cancellationToken).ConfigureAwait(false);
        return HealthCheckResult.Healthy();
    }
}
