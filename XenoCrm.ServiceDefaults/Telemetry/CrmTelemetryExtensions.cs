using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Console;
using Microsoft.Extensions.Options;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace XenoCrm.ServiceDefaults.Telemetry;

public static class CrmTelemetryExtensions
{
    public const string MetricsPath = "/metrics";

    /// <summary>
    /// Metrics (the <see cref="CrmMetrics"/> instruments, ASP.NET Core's, HttpClient's and the runtime's) for a Prometheus
    /// scrape at <c>/metrics</c>; spans of <see cref="CrmTracing"/>, ASP.NET Core and HttpClient, exported over OTLP only
    /// when <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> is set (otherwise they only give the logs their trace ids); and JSON console
    /// logs with their scopes (request id, trace id, campaign id) when <c>Logging:Console:FormatterName</c> is <c>json</c>,
    /// as the Docker images set it. With <c>Management:Port</c> the process also listens on that port, for the scrape
    /// (<see cref="ManagementOptions"/>).
    /// </summary>
    public static IHostApplicationBuilder AddCrmTelemetry(this IHostApplicationBuilder builder)
    {
        builder.AddValidatedOptions<ManagementOptions>(ManagementOptions.Section);
        if (builder.Configuration.GetSection(ManagementOptions.Section).Get<ManagementOptions>()?.Port is { } managementPort)
        {
            ManagementPort.Listen(builder.Configuration, managementPort);
            builder.Services.AddSingleton<IStartupFilter>(new ManagementPort.OnlyManagementEndpoints(managementPort));
        }
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
                    .AddAspNetCoreInstrumentation(o => o.Filter = http => !http.Request.Path.StartsWithSegments("/health") && !http.Request.Path.StartsWithSegments(MetricsPath));
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
    /// The Prometheus scrape endpoint, <c>GET /metrics</c>, without credentials (Prometheus scrapes without them) but
    /// not for everyone: it reveals counts, durations and queue depths. With a management port it answers there only
    /// (404 on the public ports); without one, only clients of the allowed networks (403 for others), loopback by
    /// default. The client address is the connection's, or the one a trusted proxy forwarded when the host handles
    /// forwarded headers: behind an untrusted proxy every client looks like the proxy.
    /// </summary>
    public static IEndpointRouteBuilder MapCrmMetrics(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapPrometheusScrapingEndpoint(MetricsPath, meterProvider: null, configureBranchedPipeline: branch => branch.Use(RefuseOutsidersAsync), optionsName: null)
            .AllowAnonymous();
        return endpoints;
    }

    private static async Task RefuseOutsidersAsync(HttpContext http, RequestDelegate next)
    {
        var options = http.RequestServices.GetRequiredService<IOptions<ManagementOptions>>().Value;
        if (options.Port is { } port)
        {
            // The connection's port, not RequireHost's Host header, which any client may set to the management port.
            if (http.Connection.LocalPort != port)
            {
                http.Response.StatusCode = StatusCodes.Status404NotFound;
                return;
            }
        }
        else if (!options.AllowsClient(http.Connection.RemoteIpAddress))
        {
            await Results.Problem(statusCode: StatusCodes.Status403Forbidden, title: "Not an allowed network.",
                detail: $"/metrics answers clients of {ManagementOptions.Section}:{nameof(ManagementOptions.AllowedNetworks)}, or on {ManagementOptions.Section}:{nameof(ManagementOptions.Port)}.")
                .ExecuteAsync(http);
            return;
        }
        await next(http);
    }
}
