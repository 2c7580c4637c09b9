using System.Collections.Concurrent;
using System.Threading.Channels;
using System.Diagnostics;
using Microsoft.Extensions.Options;
using XenoCrm.ServiceDefaults.Telemetry;

namespace XenoCrm.ServiceDefaults.Messaging;

/// <summary>
/// The embedded mode's bus: a bounded channel per topic inside the one process. Messages live
/// in memory only, so a crash loses what was accepted and not yet stored; that is the trade
/// the try-out mode makes, and why the distributed mode uses RabbitMQ.
/// </summary>
public sealed class InProcessBus(IOptions<MessagingOptions> options) : IMessageTransport, IQueueInspector
{
    private const int Capacity = 10_000;
    private readonly ConcurrentDictionary<string, Channel<InboundMessage>> _topics = new();

    private Channel<InboundMessage> Topic(string topic) =>
        _topics.GetOrAdd(topic, _ => Channel.CreateBounded<InboundMessage>(Capacity));

    public async Task SendAsync(OutgoingMessage message, CancellationToken ct)
    {
        using var activity = CrmTracing.StartPublish(message.Topic);
        var inbound = new InboundMessage(message.Topic, message.Body.ToArray(), message.Attempt, DeliveryTag: 0) { Parent = Activity.Current?.Context ?? default };
        var topic = Topic(message.Topic);
        if (!message.Deferred)
        {
            await topic.Writer.WriteAsync(inbound, ct);
            return;
        }
        _ = Task.Run(async () =>
        {
            await Task.Delay(options.Value.RetryDelay, CancellationToken.None);
            await topic.Writer.WriteAsync(inbound, CancellationToken.None);
        }, CancellationToken.None);
    }

    public Task<IMessageSubscription> SubscribeAsync(string topic, ushort prefetch, CancellationToken ct) =>
        Task.FromResult<IMessageSubscription>(new Subscription(Topic(topic).Reader));

    /// <summary>Messages waiting in each topic's channel; deferred ones wait in timers and are not counted.</summary>
    public Task<IReadOnlyList<QueueDepth>> InspectAsync(CancellationToken ct) =>
        Task.FromResult<IReadOnlyList<QueueDepth>>(Topics.All
            .Select(topic => new QueueDepth(topic, topic, _topics.TryGetValue(topic, out var channel) ? channel.Reader.Count : 0, Consumers: null))
            .ToList());

    private sealed class Subscription(ChannelReader<InboundMessage> reader) : IMessageSubscription
    {
        public ChannelReader<InboundMessage> Messages => reader;

        public Task AckAsync(IReadOnlyList<InboundMessage> messages, CancellationToken ct) => Task.CompletedTask;

        public ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }
}
