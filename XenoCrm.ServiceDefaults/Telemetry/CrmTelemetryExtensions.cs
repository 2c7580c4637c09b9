using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Console;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace XenoCrm.ServiceDefaults.Telemetry;

public static class CrmTelemetryExtensions
{
    /// <summary>
    /// Metrics (the <see cref="CrmMetrics"/> instruments, ASP.NET Core's, HttpClient's and the runtime's) for a Prometheus
    /// scrape at <c>/metrics</c>; spans of <see cref="CrmTracing"/>, ASP.NET Core and HttpClient, exported over OTLP only
    /// when <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> is set (otherwise they only give the logs their trace ids); and JSON console
    /// logs with their scopes (request id, trace id, campaign id) when <c>Logging:Console:FormatterName</c> is <c>json</c>,
    /// as the Docker images set it.
    /// </summary>
    public static IHostApplicationBuilder AddCrmTelemetry(this IHostApplicationBuilder builder)
    {
        builder.Services.TryAddSingleton<CrmMetrics>();
        builder.Services.AddHostedService<QueueSampler>();
        builder.Services.Configure<JsonConsoleFormatterOptions>(json =>
        {
            json.IncludeScopes = true;
            json.UseUtcTimestamp = true;
            json.TimestampFormat = "yyyy'-'MM'-'dd'T'HH':'mm':'ss.fff'Z'";
        });

        var otlp = !string.IsNullOrWhiteSpace(builder.Configuration["OTEL_EXPORTER_OTLP_ENDPOINT"]);
        var telemetry = builder.Services.AddOpenTelemetry()
            .ConfigureResource(resource => resource.AddService(builder.Environment.ApplicationName))
            .WithMetrics(metrics => metrics
                .AddMeter(CrmMetrics.MeterName, "Microsoft.AspNetCore.Hosting", "System.Net.Http", "System.Runtime")
                .AddPrometheusExporter())
            .WithTracing(tracing =>
            {
                tracing.AddSource(CrmTracing.SourceName, "System.Net.Http")
                    // Probes and scrapes every few seconds would drown the traces that matter.
                    .AddAspNetCoreInstrumentation(o => o.Filter = http => !http.Request.Path.StartsWithSegments("/health") && !http.Request.Path.StartsWithSegments("/metrics"));
                if (otlp)
                {
                    tracing.AddOtlpExporter();
                }
            });
        if (otlp)
        {
            telemetry.WithMetrics(metrics => metrics.AddOtlpExporter());
        }
        return builder;
    }

    /// <summary>
    /// The Prometheus scrape endpoint, <c>GET /metrics</c>, anonymous like the health probes: it reveals counts and
    /// durations, no configuration, and Prometheus scrapes without credentials. Keep it off the public network.
    /// </summary>
    public static IEndpointRouteBuilder MapCrmMetrics(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapPrometheusScrapingEndpoint().AllowAnonymous();
        return endpoints;
    }
}
