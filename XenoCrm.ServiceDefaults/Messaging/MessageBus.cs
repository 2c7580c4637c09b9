using System.Diagnostics;
using System.Text.Json;
using System.Threading.Channels;

namespace XenoCrm.ServiceDefaults.Messaging;

/// <summary>Every queue the product uses, in one place (eShop's EventBus habit).</summary>
public static class Topics
{
    public const string Customers = "ingest.customers";
    public const string Orders = "ingest.orders";
    public const string Receipts = "delivery.receipts";

    public static readonly IReadOnlyList<string> All = [Customers, Orders, Receipts];
}

public interface IMessagePublisher
{
    /// <summary>
    /// Completes once the message is durably accepted (for RabbitMQ: confirmed by the broker);
    /// throws <see cref="MessagePublishException"/> otherwise. With <paramref name="delayed"/>
    /// the message reaches its consumers only after the bus's retry delay.
    /// </summary>
    Task PublishAsync(string topic, ReadOnlyMemory<byte> body, int attempt, bool delayed, CancellationToken ct);
}

public interface IMessageSubscriber
{
    /// <summary>Starts consuming a topic with at most <paramref name="prefetch"/> unacknowledged messages.</summary>
    Task<IMessageSubscription> SubscribeAsync(string topic, ushort prefetch, CancellationToken ct);
}

public interface IMessageSubscription : IAsyncDisposable
{
    ChannelReader<InboundMessage> Messages { get; }

    /// <summary>Acknowledges messages that are now stored or dead-lettered.</summary>
    Task AckAsync(IReadOnlyList<InboundMessage> messages, CancellationToken ct);
}

/// <param name="Attempt">1 for a first delivery; each deferral publishes the remainder with the next attempt.</param>
/// <param name="DeliveryTag">The transport's handle for acknowledging this message.</param>
public sealed record InboundMessage(string Topic, ReadOnlyMemory<byte> Body, int Attempt, ulong DeliveryTag)
{
    /// <summary>The trace context of the publish, so that consuming continues the trace; default when there was none.</summary>
    public ActivityContext Parent { get; init; }
}

public sealed class MessagePublishException(string message, Exception? inner = null) : Exception(message, inner);

public static class MessageJson
{
    public static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.Web)
    {
        RespectNullableAnnotations = true,
        RespectRequiredConstructorParameters = true,
    };

    public static byte[] Serialize<T>(T message) => JsonSerializer.SerializeToUtf8Bytes(message, Options);

    public static T Deserialize<T>(ReadOnlyMemory<byte> body) =>
        JsonSerializer.Deserialize<T>(body.Span, Options) ?? throw new JsonException("The message body is null.");

    public static Task PublishAsync<T>(this IMessagePublisher publisher, string topic, T message, CancellationToken ct) =>
        publisher.PublishAsync(topic, Serialize(message), attempt: 1, delayed: false, ct);
}
