using System.Collections.Concurrent;
using System.Diagnostics;
using System.Reflection;
using System.Text.Json;
using System.Threading.Channels;

namespace XenoCrm.ServiceDefaults.Messaging;

/// <summary>
/// Every topic the product uses, in one place (eShop's EventBus habit). The names are the queues' on a running broker
/// (<c>xenocrm.{topic}</c>), so they never change: a message type names its topic with <see cref="MessageTopicAttribute"/>.
/// </summary>
public static class Topics
{
    public const string Customers = "ingest.customers";
    public const string Orders = "ingest.orders";
    public const string Receipts = "delivery.receipts";

    public static readonly IReadOnlyList<string> All = [Customers, Orders, Receipts];
}

/// <summary>The topic a message type is published to and consumed from; one per type.</summary>
[AttributeUsage(AttributeTargets.Class, Inherited = false)]
public sealed class MessageTopicAttribute(string topic) : Attribute
{
    public string Topic { get; } = topic;
}

/// <summary>Reads a message type's topic from its <see cref="MessageTopicAttribute"/>.</summary>
public static class MessageTopic
{
    private static readonly ConcurrentDictionary<Type, string> _topics = new();

    public static string Of<TMessage>() => Of(typeof(TMessage));

    public static string Of(Type messageType) => _topics.GetOrAdd(messageType, static type =>
        type.GetCustomAttribute<MessageTopicAttribute>()?.Topic
        ?? throw new InvalidOperationException($"{type.Name} is not a message: it has no [MessageTopic]."));
}

/// <summary>What the product publishes: a message, to the topic its type names.</summary>
public interface IMessagePublisher
{
    /// <summary>
    /// Completes once the message is durably accepted (for RabbitMQ: confirmed by the broker);
    /// throws <see cref="MessagePublishException"/> otherwise.
    /// </summary>
    Task PublishAsync<TMessage>(TMessage message, CancellationToken ct);
}

/// <summary>Serializes a message and sends it, as a first delivery, to its type's topic.</summary>
public sealed class MessagePublisher(IMessageTransport transport) : IMessagePublisher
{
    public Task PublishAsync<TMessage>(TMessage message, CancellationToken ct) =>
        transport.SendAsync(OutgoingMessage.For(message), ct);
}

/// <summary>
/// The bus underneath the typed publisher: bytes by topic, with the attempt and the deferral that only the consumer
/// machinery (deferring a message) and the dead-letter replay (a stored body and its topic) have reason to set.
/// </summary>
public interface IMessageTransport
{
    /// <summary>Completes once the message is durably accepted; throws <see cref="MessagePublishException"/> otherwise.</summary>
    Task SendAsync(OutgoingMessage message, CancellationToken ct);

    /// <summary>Starts consuming a topic with at most <paramref name="prefetch"/> unacknowledged messages.</summary>
    Task<IMessageSubscription> SubscribeAsync(string topic, ushort prefetch, CancellationToken ct);
}

/// <param name="Attempt">1 for a first delivery; each deferral sends the remainder with the next attempt.</param>
/// <param name="Deferred">The message reaches its consumers only after the bus's retry delay.</param>
public sealed record OutgoingMessage(string Topic, ReadOnlyMemory<byte> Body, int Attempt = 1, bool Deferred = false)
{
    /// <summary>A first delivery of <paramref name="message"/> to its type's topic.</summary>
    public static OutgoingMessage For<TMessage>(TMessage message) =>
        new(MessageTopic.Of<TMessage>(), MessageJson.Serialize(message));
}

public static class MessageTransportExtensions
{
    /// <summary>Consumes the topic of <typeparamref name="TMessage"/>.</summary>
    public static Task<IMessageSubscription> SubscribeAsync<TMessage>(this IMessageTransport transport, ushort prefetch, CancellationToken ct)
        where TMessage : class =>
        transport.SubscribeAsync(MessageTopic.Of<TMessage>(), prefetch, ct);
}

public interface IMessageSubscription : IAsyncDisposable
{
    /// <summary>Completes with a <see cref="SubscriptionClosedException"/> when the transport ends the subscription.</summary>
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

/// <summary>The bus did not durably accept a message (the broker is away, or did not confirm in time).</summary>
public sealed class MessagePublishException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>The transport ended a subscription (its channel closed); the consumer subscribes again.</summary>
public sealed class SubscriptionClosedException(string message, Exception? inner = null) : Exception(message, inner);

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
}
