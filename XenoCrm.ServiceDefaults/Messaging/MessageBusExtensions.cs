using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using XenoCrm.ServiceDefaults.Health;
using XenoCrm.ServiceDefaults.Telemetry;

namespace XenoCrm.ServiceDefaults.Messaging;

public static class MessageBusExtensions
{
    public const string ConnectionName = "RabbitMq";

    /// <summary>True when no RabbitMQ is configured: the embedded mode, where Web also hosts the Workers role.</summary>
    public static bool UsesInProcessBus(this IConfiguration configuration) =>
        string.IsNullOrWhiteSpace(configuration.GetConnectionString(ConnectionName));

    /// <summary>
    /// For a process that runs only in the distributed mode (Workers, Delivery): start-up fails without RabbitMQ, naming
    /// the setting, instead of quietly running an in-process bus that no other process can reach.
    /// </summary>
    public static IHostApplicationBuilder RequireRabbitMq(this IHostApplicationBuilder builder, string process)
    {
        builder.Services.AddOptions<MessagingOptions>()
            .Validate<IConfiguration>(
                (_, configuration) => !configuration.UsesInProcessBus(),
                $"{process} runs the distributed mode and needs ConnectionStrings:{ConnectionName}; in the embedded mode XenoCrm.Web hosts its role itself.")
            .ValidateOnStart();
        return builder;
    }

    /// <summary>RabbitMQ when <c>ConnectionStrings:RabbitMq</c> (an amqp:// URI) is set, otherwise the in-process bus.</summary>
    public static IHostApplicationBuilder AddMessageBus(this IHostApplicationBuilder builder)
    {
        builder.AddValidatedOptions<MessagingOptions>(MessagingOptions.Section);
        // The consumers count what they store and dead-letter, with or without a metrics exporter.
        builder.Services.TryAddSingleton<CrmMetrics>();
        builder.Services.AddSingleton<IMessagePublisher, MessagePublisher>();

        if (builder.Configuration.UsesInProcessBus())
        {
            // No readiness check comes with the in-process bus, yet every process maps the health probes.
            builder.Services.AddHealthChecks();
            builder.Services.AddSingleton<InProcessBus>();
            builder.Services.AddSingleton<IMessageTransport>(sp => sp.GetRequiredService<InProcessBus>());
            builder.Services.AddSingleton<IQueueInspector>(sp => sp.GetRequiredService<InProcessBus>());
            return builder;
        }

        var uri = builder.Configuration.GetConnectionString(ConnectionName)!;
        if (!Uri.TryCreate(uri, UriKind.Absolute, out var parsed) || parsed.Scheme is not ("amqp" or "amqps"))
        {
            throw new OptionsValidationException($"ConnectionStrings:{ConnectionName}", typeof(MessagingOptions),
                [$"ConnectionStrings:{ConnectionName} must be an amqp:// or amqps:// URI."]);
        }
        builder.Services.AddSingleton(sp => new RabbitMqBus(uri, sp.GetRequiredService<IOptions<MessagingOptions>>(), sp.GetRequiredService<ILogger<RabbitMqBus>>()));
        builder.Services.AddSingleton<IMessageTransport>(sp => sp.GetRequiredService<RabbitMqBus>());
        builder.Services.AddSingleton<IQueueInspector>(sp => sp.GetRequiredService<RabbitMqBus>());
        builder.Services.AddReadinessCheck<RabbitMqHealthCheck>("rabbitmq");
        return builder;
    }
}
