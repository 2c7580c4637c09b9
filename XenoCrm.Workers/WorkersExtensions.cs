using Hangfire;
using Hangfire.Redis.StackExchange;
using Microsoft.Extensions.Options;
using XenoCrm.Core.Data;
using XenoCrm.Core.Ingestion;
using XenoCrm.Core.Messaging;
using XenoCrm.Workers.Ingestion;

namespace XenoCrm.Workers;

public static class WorkersExtensions
{
    public const string RedisConnectionName = "Redis";

    /// <summary>The Workers role: the ingestion consumers and the Hangfire server.</summary>
    public static IHostApplicationBuilder AddXenoWorkers(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<IngestionOptions>()
            .Bind(builder.Configuration.GetSection(IngestionOptions.Section))
            .ValidateDataAnnotations()
            .ValidateOnStart();

        builder.Services.AddScoped<IMessageBatchHandler<CustomersReceived>, CustomersIngestionHandler>();
        builder.Services.AddScoped<IMessageBatchHandler<OrdersReceived>, OrdersIngestionHandler>();
        AddConsumer<CustomersReceived>(builder.Services, Topics.Customers, m => m.Customers.Count);
        AddConsumer<OrdersReceived>(builder.Services, Topics.Orders, m => m.Orders.Count);

        builder.AddHangfireStorage();
        builder.Services.AddHangfireServer(o => o.Queues = ["campaigns", "default"]);
        return builder;
    }

    private static void AddConsumer<TMessage>(IServiceCollection services, string topic, Func<TMessage, int> recordCount) =>
        services.AddSingleton<IHostedService>(sp =>
        {
            var ingestion = sp.GetRequiredService<IOptions<IngestionOptions>>().Value;
            var sqlite = sp.GetRequiredService<IConfiguration>().UsesSqlite();
            return ActivatorUtilities.CreateInstance<BatchConsumer<TMessage>>(sp,
                new BatchConsumerSettings(topic, ingestion.Prefetch, ingestion.BatchSize, sqlite ? 1 : ingestion.ConsumersPerQueue), recordCount);
        });

    /// <summary>Hangfire on Redis when <c>ConnectionStrings:Redis</c> is set, otherwise in memory (embedded mode).</summary>
    public static IHostApplicationBuilder AddHangfireStorage(this IHostApplicationBuilder builder)
    {
        var redis = builder.Configuration.GetConnectionString(RedisConnectionName);
        builder.Services.AddHangfire(configuration =>
        {
            configuration.UseSimpleAssemblyNameTypeSerializer().UseRecommendedSerializerSettings();
            if (string.IsNullOrWhiteSpace(redis))
            {
                configuration.UseInMemoryStorage();
            }
            else
            {
                configuration.UseRedisStorage(redis, new RedisStorageOptions { Prefix = "xenocrm:hangfire:" });
            }
        });
        return builder;
    }
}
