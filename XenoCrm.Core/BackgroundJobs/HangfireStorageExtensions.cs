using Hangfire;
using Hangfire.Common;
using Hangfire.Redis.StackExchange;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using XenoCrm.ServiceDefaults.Health;

namespace XenoCrm.Core.BackgroundJobs;

public static class HangfireStorageExtensions
{
    public const string RedisConnectionName = "Redis";

    /// <summary>Hangfire on Redis when <c>ConnectionStrings:Redis</c> is set, otherwise in memory (embedded mode).</summary>
    public static IHostApplicationBuilder AddHangfireStorage(this IHostApplicationBuilder builder)
    {
        var redis = builder.Configuration.GetConnectionString(RedisConnectionName);
        // Installations (or test runs) that share one Redis keep their jobs apart by prefix.
        var prefix = builder.Configuration["Hangfire:Prefix"] is { Length: > 0 } configured ? configured : "xenocrm:hangfire:";
        builder.Services.AddHangfire(configuration =>
        {
            configuration.UseStableJobNames().UseRecommendedSerializerSettings();
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
