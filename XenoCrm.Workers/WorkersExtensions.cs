using Hangfire;
using Hangfire.Common;
using Hangfire.Redis.StackExchange;
using Microsoft.Extensions.Options;
using XenoCrm.ServiceDefaults.Health;
using XenoCrm.Workers.Campaigns;
using XenoCrm.Workers.Ingestion;
using XenoCrm.Workers.Jobs;
using XenoCrm.ServiceDefaults.Messaging;

namespace XenoCrm.Workers;

public static class WorkersExtensions
{
    public const string RedisConnectionName = "Redis";

    /// <summary>The Workers role: the ingestion and receipts consumers, the campaign send jobs with their Hangfire server, and the reconciler.</summary>
    public static IHostApplicationBuilder AddXenoWorkers(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<IngestionOptions>()
            .Bind(builder.Configuration.GetSection(IngestionOptions.Section))
            .ValidateDataAnnotations()
            .ValidateOnStart();

        builder.Services.AddMessageSubscriptions();

        builder.AddCampaignSending();
        builder.AddHangfireStorage();
        // Failed chunks come back through Hangfire's scheduled set: poll it often so a retry waits seconds, not the default 15.
        builder.Services.AddHangfireServer(o =>
        {
            o.Queues = [CampaignQueues.Campaigns, "default"];
            o.SchedulePollingInterval = TimeSpan.FromSeconds(1);
        });
        return builder;
    }

    private static void AddCampaignSending(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<CampaignOptions>()
            .Bind(builder.Configuration.GetSection(CampaignOptions.Section))
            .ValidateDataAnnotations()
            .ValidateOnStart();
        builder.Services.AddOptions<DeliveryOptions>()
            .Bind(builder.Configuration.GetSection(DeliveryOptions.Section))
            .ValidateDataAnnotations()
            .ValidateOnStart();
        // Without Delivery:BaseUrl the host registers the in-process Delivery role (the embedded mode).
        if (builder.Configuration.GetSection(DeliveryOptions.Section).Get<DeliveryOptions>()?.BaseUrl is not null)
        {
            HttpDeliveryGateway.AddResilience(builder.Services.AddHttpClient<IDeliveryGateway, HttpDeliveryGateway>((sp, http) =>
                HttpDeliveryGateway.Configure(http, sp.GetRequiredService<IOptions<DeliveryOptions>>().Value)));
        }
        builder.Services.AddScoped<CampaignChunkPlanner>();
        builder.Services.AddScoped<CampaignStartJob>();
        builder.Services.AddScoped<CampaignChunkJob>();
        builder.Services.AddScoped<CampaignRetryFailedJob>();
        builder.Services.AddHostedService<CampaignReconciler>();
    }

    /// <summary>Hangfire on Redis when <c>ConnectionStrings:Redis</c> is set, otherwise in memory (embedded mode).</summary>
    public static IHostApplicationBuilder AddHangfireStorage(this IHostApplicationBuilder builder)
    {
        var redis = builder.Configuration.GetConnectionString(RedisConnectionName);
        // Installations (or test runs) that share one Redis keep their jobs apart by prefix.
        var prefix = builder.Configuration["Hangfire:Prefix"] is { Length: > 0 } configured ? configured : "xenocrm:hangfire:";
        builder.Services.AddHangfire(configuration =>
        {
            configuration.UseSimpleAssemblyNameTypeSerializer().UseRecommendedSerializerSettings();
            if (string.IsNullOrWhiteSpace(redis))
            {
                configuration.UseInMemoryStorage();
            }
            else
            {
                // A job whose server died is handed out again after InvisibilityTimeout; chunk jobs take
                // seconds, so minutes (not the default half hour) bound how long a crash delays a send.
                configuration.UseRedisStorage(redis, new RedisStorageOptions { Prefix = prefix, InvisibilityTimeout = TimeSpan.FromMinutes(5) });
            }
        });
        builder.Services.AddReadinessCheck<HangfireStorageHealthCheck>("hangfire");
        // Replaces the provider AddHangfire registered (Hangfire's global filters and the jobs' attributes), which both the
        // client and the server resolve from the container, by one that also holds this host's telemetry filter.
        builder.Services.AddSingleton<JobTelemetryFilter>();
        builder.Services.AddSingleton<IJobFilterProvider>(sp =>
            new JobFilterProviderCollection(JobFilterProviders.Providers, new JobFilterCollection { sp.GetRequiredService<JobTelemetryFilter>() }));
        return builder;
    }
}
