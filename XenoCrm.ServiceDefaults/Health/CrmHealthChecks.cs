using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace XenoCrm.ServiceDefaults.Health;

/// <summary>
/// <c>/health/live</c> (the process answers; nothing else is checked, so an orchestrator never restarts a
/// process because its database is down) and <c>/health/ready</c> (every dependency this process uses answers).
/// Each adapter registers its own readiness check where it is chosen (<c>AddCrmDatabase</c>, <c>AddMessageBus</c>,
/// <c>AddHangfireStorage</c>), so a process checks exactly what it uses.
/// </summary>
public static class CrmHealthChecks
{
    public const string ReadyTag = "ready";

    /// <summary>
    /// Checks run in parallel, each cut off after this, so that <c>/health/ready</c> answers within two seconds
    /// even when a server is gone without closing its connections.
    /// </summary>
    public static readonly TimeSpan CheckTimeout = TimeSpan.FromSeconds(1.5);

    private static readonly JsonSerializerOptions _json = new(JsonSerializerDefaults.Web);

    /// <summary>Adds a check of one dependency to <c>/health/ready</c> under <paramref name="name"/>, the name its answer shows.</summary>
    public static IServiceCollection AddReadinessCheck<TCheck>(this IServiceCollection services, string name)
        where TCheck : class, IHealthCheck
    {
        services.AddHealthChecks().AddCheck<TCheck>(name, HealthStatus.Unhealthy, [ReadyTag], CheckTimeout);
        return services;
    }

    /// <summary>Maps both probes, anonymous (they reveal no configuration: only each check's name and status).</summary>
    public static IEndpointRouteBuilder MapCrmHealthChecks(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapHealthChecks("/health/live", new HealthCheckOptions { Predicate = _ => false, ResponseWriter = WriteAsync })
            .AllowAnonymous();
        endpoints.MapHealthChecks("/health/ready", new HealthCheckOptions { Predicate = r => r.Tags.Contains(ReadyTag), ResponseWriter = WriteAsync })
            .AllowAnonymous();
        return endpoints;
    }

    // Statuses only: a check's description and exception may name hosts, ports or users, so they stay in the logs.
    private static Task WriteAsync(HttpContext context, HealthReport report) =>
        context.Response.WriteAsJsonAsync(
            new HealthAnswer(report.Status.ToString(), report.Entries.ToDictionary(e => e.Key, e => e.Value.Status.ToString())),
            _json, context.RequestAborted);

    private sealed record HealthAnswer(string Status, IReadOnlyDictionary<string, string> Checks);
}
