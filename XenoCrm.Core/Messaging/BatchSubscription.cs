using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using XenoCrm.ServiceDefaults.Messaging;

namespace XenoCrm.Core.Messaging;

/// <summary>One entry of a process's subscription list: a message type, the topic it comes from and its handler.</summary>
public sealed record BatchSubscription(Type MessageType, string Topic, Type HandlerType);

public static class BatchSubscriptionExtensions
{
    /// <summary>
    /// Consumes <typeparamref name="TMessage"/>'s topic with a <see cref="BatchConsumer{TMessage}"/> that stores each
    /// batch through <typeparamref name="THandler"/> (scoped: one unit of work per batch).
    /// </summary>
    /// <param name="recordCount">The records one message carries, for the batch's record budget.</param>
    /// <param name="settings">The batch settings, read once the options are bound.</param>
    public static IServiceCollection AddBatchSubscription<TMessage, THandler>(
        this IServiceCollection services, Func<TMessage, int> recordCount, Func<IServiceProvider, BatchConsumerSettings> settings)
        where TMessage : class
        where THandler : class, IMessageBatchHandler<TMessage>
    {
        services.AddScoped<IMessageBatchHandler<TMessage>, THandler>();
        services.AddSingleton(new BatchSubscription(typeof(TMessage), MessageTopic.Of<TMessage>(), typeof(THandler)));
        services.AddSingleton<IHostedService>(sp =>
            ActivatorUtilities.CreateInstance<BatchConsumer<TMessage>>(sp, settings(sp), recordCount));
        return services;
    }
}
