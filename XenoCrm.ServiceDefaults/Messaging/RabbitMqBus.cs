using System.Globalization;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using RabbitMQ.Client;
using RabbitMQ.Client.Events;
using RabbitMQ.Client.Exceptions;
using XenoCrm.ServiceDefaults.Telemetry;

namespace XenoCrm.ServiceDefaults.Messaging;

/// <summary>
/// The distributed mode's bus. Each topic is a quorum queue bound to the durable direct exchange
/// <c>xenocrm</c>; publishes are persistent, mandatory (an unroutable message is an error, not a
/// silent loss) and awaited until the broker confirms them. Deferred messages wait in
/// <c>xenocrm.{topic}.retry</c> until their per-message TTL expires and the broker dead-letters
/// them back to the topic's queue.
/// <para>
/// A dropped connection is the client's to recover (<see cref="ConnectionFactory.AutomaticRecoveryEnabled"/> and
/// <see cref="ConnectionFactory.TopologyRecoveryEnabled"/>): it reconnects every <see cref="RecoveryInterval"/>,
/// declares the exchanges and queues again, reopens the channels (the publish channels with their confirms) and
/// re-registers the consumers, so a subscription goes on delivering. Messages unacknowledged at the drop come again
/// (at-least-once; ingestion and receipts are idempotent), and the recovered channel ignores acknowledgements of the
/// dead channel's delivery tags. While the connection is down a publish fails at once (503), as before. What the client
/// does not do is the first connection: that one is made on first use, so that a process starts while the broker is
/// away. RabbitMqRecoveryTests drop the connection under load and find nothing lost or stored twice.
/// </para>
/// </summary>
public sealed class RabbitMqBus : IMessageTransport, IQueueInspector, IAsyncDisposable
{
    private const string Exchange = "xenocrm";
    private const string RetryExchange = "xenocrm.retry";
    private const string AttemptHeader = "x-attempt";
    // Each publish waits for its confirm on its own channel (sharing one channel between
    // concurrent confirmed publishes has had client bugs), so this bounds publishes in flight:
    // with a quorum queue's confirm latency of a few ms, 64 allow thousands of requests a second.
    private const int PublishChannels = 64;
    private const ushort AccessRefused = 403;

    /// <summary>How often the client tries to reconnect a dropped connection.</summary>
    public static readonly TimeSpan RecoveryInterval = TimeSpan.FromSeconds(1);

    private readonly ConnectionFactory _factory;
    private readonly MessagingOptions _options;
    private readonly ILogger<RabbitMqBus> _logger;
    private readonly SemaphoreSlim _connectLock = new(1, 1);
    private readonly Channel<IChannel> _idlePublishChannels = Channel.CreateUnbounded<IChannel>();
    private readonly SemaphoreSlim _publishSlots = new(PublishChannels, PublishChannels);
    private IConnection? _connection;

    public RabbitMqBus(string amqpUri, IOptions<MessagingOptions> options, ILogger<RabbitMqBus> logger)
    {
        _options = options.Value;
        _logger = logger;
        _factory = new ConnectionFactory
        {
            Uri = new Uri(amqpUri),
            AutomaticRecoveryEnabled = true,
            TopologyRecoveryEnabled = true,
            NetworkRecoveryInterval = RecoveryInterval,
            RequestedConnectionTimeout = _options.PublishTimeout,
            ClientProvidedName = $"xenocrm:{AppDomain.CurrentDomain.FriendlyName}",
        };
    }

    public async Task SendAsync(OutgoingMessage message, CancellationToken ct)
    {
        var (topic, body, attempt, delayed) = message;
        using var activity = CrmTracing.StartPublish(topic);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(_options.PublishTimeout);
        IChannel? channel = null;
        await _publishSlots.WaitAsync(timeout.Token).ConfigureAwait(false);
        try
        {
            channel = await RentPublishChannelAsync(timeout.Token).ConfigureAwait(false);
            var headers = new Dictionary<string, object?> { [AttemptHeader] = attempt };
            CrmTracing.Inject(headers);
            var properties = new BasicProperties
            {
                Persistent = true,
                ContentType = "application/json",
                Headers = headers,
                Expiration = delayed ? ((long)_options.RetryDelay.TotalMilliseconds).ToString(CultureInfo.InvariantCulture) : null,
            };
            await channel.BasicPublishAsync(delayed ? RetryExchange : Exchange, topic, mandatory: true, properties, body, timeout.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            throw new MessagePublishException($"RabbitMQ did not confirm the message within {_options.PublishTimeout.TotalSeconds:0.#} s.");
        }
        catch (Exception ex) when (ex is PublishException or OperationInterruptedException or BrokerUnreachableException or AlreadyClosedException or IOException or System.Net.Sockets.SocketException)
        {
            throw new MessagePublishException($"RabbitMQ did not accept the message: {ex.Message}", ex);
        }
        finally
        {
            if (channel is { IsOpen: true })
            {
                _idlePublishChannels.Writer.TryWrite(channel);
            }
            else if (channel is not null)
            {
                await DisposeQuietlyAsync(channel).ConfigureAwait(false);
            }
            _publishSlots.Release();
        }
    }

    private async Task<IChannel> RentPublishChannelAsync(CancellationToken ct)
    {
        while (_idlePublishChannels.Reader.TryRead(out var idle))
        {
            if (idle.IsOpen)
            {
                return idle;
            }
            await DisposeQuietlyAsync(idle).ConfigureAwait(false);
        }
        var connection = await ConnectionAsync(ct).ConfigureAwait(false);
        return await connection.CreateChannelAsync(
            new CreateChannelOptions(publisherConfirmationsEnabled: true, publisherConfirmationTrackingEnabled: true), ct).ConfigureAwait(false);
    }

    public async Task<IMessageSubscription> SubscribeAsync(string topic, ushort prefetch, CancellationToken ct)
    {
        var connection = await ConnectionAsync(ct).ConfigureAwait(false);
        var channel = await connection.CreateChannelAsync(cancellationToken: ct).ConfigureAwait(false);
        await channel.BasicQosAsync(0, prefetch, global: false, ct).ConfigureAwait(false);
        var subscription = new Subscription(channel);
        var consumer = new AsyncEventingBasicConsumer(channel);
        consumer.ReceivedAsync += (_, delivery) =>
        {
            // The client reuses the body's buffer after this handler returns, hence the copy.
            var message = new InboundMessage(topic, delivery.Body.ToArray(), AttemptOf(delivery.BasicProperties), delivery.DeliveryTag)
            {
                Parent = CrmTracing.Extract(delivery.BasicProperties.Headers),
            };
            return subscription.Writer.WriteAsync(message).AsTask();
        };
        channel.ChannelShutdownAsync += (_, reason) =>
        {
            // A connection the client recovers brings this channel and its consumer back: the subscription goes on.
            // A channel the broker closed on its own (the queue was deleted), or one that will not recover, ends it.
            if (reason.Initiator == ShutdownInitiator.Application || connection.IsOpen || !WillRecover(connection))
            {
                subscription.Writer.TryComplete(new SubscriptionClosedException($"The RabbitMQ channel of {topic} closed: {reason.ReplyText}"));
            }
            return Task.CompletedTask;
        };
        await channel.BasicConsumeAsync(QueueOf(topic), autoAck: false, consumer, ct).ConfigureAwait(false);
        return subscription;
    }

    /// <summary>
    /// Throws unless the broker answers: connects if there is no open connection (the same one publishes and
    /// consumes), then opens and closes a channel, a round trip that a half-dead connection cannot fake.
    /// </summary>
    public async Task CheckBrokerAsync(CancellationToken ct)
    {
        var connection = await ConnectionAsync(ct).ConfigureAwait(false);
        var channel = await connection.CreateChannelAsync(cancellationToken: ct).ConfigureAwait(false);
        await DisposeQuietlyAsync(channel).ConfigureAwait(false);
    }

    /// <summary>Ready messages and consumers of every queue, by passive declares on a channel of their own.</summary>
    public async Task<IReadOnlyList<QueueDepth>> InspectAsync(CancellationToken ct)
    {
        var connection = await ConnectionAsync(ct).ConfigureAwait(false);
        var channel = await connection.CreateChannelAsync(cancellationToken: ct).ConfigureAwait(false);
        try
        {
            var depths = new List<QueueDepth>(Topics.All.Count * 2);
            foreach (var topic in Topics.All)
            {
                foreach (var queue in new[] { QueueOf(topic), $"{QueueOf(topic)}.retry" })
                {
                    var declared = await channel.QueueDeclarePassiveAsync(queue, ct).ConfigureAwait(false);
                    depths.Add(new QueueDepth(topic, queue, declared.MessageCount, declared.ConsumerCount));
                }
            }
            return depths;
        }
        finally
        {
            await DisposeQuietlyAsync(channel).ConfigureAwait(false);
        }
    }

    private static int AttemptOf(IReadOnlyBasicProperties properties) =>
        properties.Headers?.TryGetValue(AttemptHeader, out var value) == true && value is int attempt ? attempt : 1;

    /// <summary>The queue a topic is consumed from.</summary>
    public static string QueueOf(string topic) => $"xenocrm.{topic}";

    /// <summary>
    /// False when the client will not recover the connection: this process closed it, or the broker refused its
    /// credentials. Then the next use opens a new one; any other loss is the client's automatic recovery to mend.
    /// </summary>
    private static bool WillRecover(IConnection connection) =>
        connection.IsOpen || connection.CloseReason is not { } reason
        || (reason.Initiator != ShutdownInitiator.Application && reason.ReplyCode != AccessRefused);

    /// <summary>The connection, made on first use; while the client recovers it, its channels throw at once (publishes answer 503).</summary>
    private async Task<IConnection> ConnectionAsync(CancellationToken ct)
    {
        if (_connection is { } current && WillRecover(current))
        {
            return current;
        }
        await _connectLock.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            if (_connection is { } raced && WillRecover(raced))
            {
                return raced;
            }
            if (_connection is not null)
            {
                await DisposeQuietlyAsync(_connection).ConfigureAwait(false);
                _connection = null;
            }
            var connection = await _factory.CreateConnectionAsync(ct).ConfigureAwait(false);
            await DeclareTopologyAsync(connection, ct).ConfigureAwait(false);
            connection.ConnectionShutdownAsync += (_, reason) =>
            {
                _logger.LogWarning("The RabbitMQ connection closed ({Reason}); {Next}", reason.ReplyText,
                    WillRecover(connection) ? "the client recovers it" : "the next use opens a new one");
                return Task.CompletedTask;
            };
            connection.RecoverySucceededAsync += (_, _) =>
            {
                _logger.LogInformation("The RabbitMQ connection recovered");
                return Task.CompletedTask;
            };
            _logger.LogInformation("Connected to RabbitMQ at {Host}:{Port}", _factory.HostName, _factory.Port);
            return _connection = connection;
        }
        finally
        {
            _connectLock.Release();
        }
    }

    private static async Task DeclareTopologyAsync(IConnection connection, CancellationToken ct)
    {
        await using var channel = await connection.CreateChannelAsync(cancellationToken: ct).ConfigureAwait(false);
        await channel.ExchangeDeclareAsync(Exchange, ExchangeType.Direct, durable: true, autoDelete: false, cancellationToken: ct).ConfigureAwait(false);
        await channel.ExchangeDeclareAsync(RetryExchange, ExchangeType.Direct, durable: true, autoDelete: false, cancellationToken: ct).ConfigureAwait(false);
        foreach (var topic in Topics.All)
        {
            var queue = QueueOf(topic);
            await channel.QueueDeclareAsync(queue, durable: true, exclusive: false, autoDelete: false,
                new Dictionary<string, object?> { ["x-queue-type"] = "quorum" }, cancellationToken: ct).ConfigureAwait(false);
            await channel.QueueBindAsync(queue, Exchange, topic, cancellationToken: ct).ConfigureAwait(false);

            var retryQueue = $"{queue}.retry";
            await channel.QueueDeclareAsync(retryQueue, durable: true, exclusive: false, autoDelete: false,
                new Dictionary<string, object?>
                {
                    ["x-queue-type"] = "quorum",
                    ["x-dead-letter-exchange"] = Exchange,
                    ["x-dead-letter-routing-key"] = topic,
                }, cancellationToken: ct).ConfigureAwait(false);
            await channel.QueueBindAsync(retryQueue, RetryExchange, topic, cancellationToken: ct).ConfigureAwait(false);
        }
    }

    private static async Task DisposeQuietlyAsync(IAsyncDisposable disposable)
    {
        try
        {
            await disposable.DisposeAsync().ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is OperationInterruptedException or AlreadyClosedException or IOException or ObjectDisposedException)
        {
            // Already broken: nothing left to release.
        }
    }

    public async ValueTask DisposeAsync()
    {
        while (_idlePublishChannels.Reader.TryRead(out var channel))
        {
            await DisposeQuietlyAsync(channel).ConfigureAwait(false);
        }
        if (_connection is not null)
        {
            await DisposeQuietlyAsync(_connection).ConfigureAwait(false);
        }
        _connectLock.Dispose();
        _publishSlots.Dispose();
    }

    private sealed class Subscription(IChannel channel) : IMessageSubscription
    {
        private readonly Channel<InboundMessage> _buffer = Channel.CreateUnbounded<InboundMessage>(new UnboundedChannelOptions { SingleReader = true });

        public ChannelWriter<InboundMessage> Writer => _buffer.Writer;

        public ChannelReader<InboundMessage> Messages => _buffer.Reader;

        public async Task AckAsync(IReadOnlyList<InboundMessage> messages, CancellationToken ct)
        {
            // Batches complete in delivery order on this channel, so one multiple-ack covers them all.
            var last = messages.Max(m => m.DeliveryTag);
            await channel.BasicAckAsync(last, multiple: true, ct).ConfigureAwait(false);
        }

        public async ValueTask DisposeAsync()
        {
            _buffer.Writer.TryComplete();
            await DisposeQuietlyAsync(channel).ConfigureAwait(false);
        }
    }
}
