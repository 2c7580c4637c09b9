using System.Text;
using System.Text.Json;
using System.Threading.Channels;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Polly;
using Polly.Retry;
using XenoCrm.Core.Data;
using XenoCrm.ServiceDefaults.Telemetry;
using XenoCrm.ServiceDefaults.Messaging;

namespace XenoCrm.Core.Messaging;

/// <summary>Stores a batch of messages in one unit of work.</summary>
public interface IMessageBatchHandler<TMessage>
{
    /// <summary>
    /// Returns what could not be stored yet (an order whose customer has not arrived): each
    /// deferral is published again after the retry delay, until the message's attempts run out.
    /// Throws when the batch cannot be stored at all; nothing of it may then be committed.
    /// </summary>
    Task<IReadOnlyList<Deferral<TMessage>>> HandleAsync(IReadOnlyList<TMessage> messages, CancellationToken ct);
}

/// <param name="Index">The position, in the handled list, of the message this remainder comes from.</param>
public sealed record Deferral<TMessage>(int Index, TMessage Remainder, string Reason);

/// <param name="MaxRecordsPerBatch">How many records one read gathers from the prefetch window; the handler decides how many go in one transaction.</param>
/// <param name="Concurrency">Independent subscriptions of this process, each storing its own batches.</param>
public sealed record BatchConsumerSettings(ushort Prefetch, int MaxRecordsPerBatch, int Concurrency = 1)
{
    /// <summary>How long a read waits for more messages while its batch is still small.</summary>
    public TimeSpan Linger { get; init; } = TimeSpan.FromMilliseconds(10);

    /// <summary>The first wait before a batch the database failed is stored again; later waits grow, with jitter.</summary>
    public TimeSpan DatabaseRetryDelay { get; init; } = DatabaseRetry.FirstDelay;
}

/// <summary>
/// Consumes the topic of <typeparamref name="TMessage"/> in batches: reads what the prefetch window holds (up to a
/// record budget), hands it to the handler, publishes deferrals, and acknowledges only after the handler committed.
/// A batch that fails is split in halves until the failing message stands alone; that one is retried after the delay
/// and finally dead-lettered with its reason. A failure the database causes (it is down, a deadlock) is not the
/// message's fault: the same batch is retried (<see cref="DatabaseRetry"/>), spending none of its attempts. Attempts
/// and deferrals live here, not where messages are published.
/// </summary>
public sealed class BatchConsumer<TMessage>(
    BatchConsumerSettings settings,
    Func<TMessage, int> recordCount,
    IMessageTransport transport,
    IServiceScopeFactory scopes,
    IOptions<MessagingOptions> options,
    CrmMetrics metrics,
    TimeProvider clock,
    ILogger<BatchConsumer<TMessage>> logger) : BackgroundService
    where TMessage : class
{
    private readonly string _topic = MessageTopic.Of<TMessage>();

    private readonly ResiliencePipeline _storeRetry = DatabaseRetry.Pipeline(scopes, logger, $"storing {MessageTopic.Of<TMessage>()}", settings.DatabaseRetryDelay);

    private readonly ResiliencePipeline _deadLetterRetry = DatabaseRetry.Pipeline(scopes, logger, $"dead-lettering {MessageTopic.Of<TMessage>()}", settings.DatabaseRetryDelay);

    // The broker away (or never there): retried for as long as it takes, the waits growing to 10 s, with jitter so that
    // the consumers of every process do not reconnect in step. Unacknowledged messages return to the queue meanwhile.
    private readonly ResiliencePipeline _subscribeRetry = new ResiliencePipelineBuilder()
        .AddRetry(new RetryStrategyOptions
        {
            ShouldHandle = args => ValueTask.FromResult(args.Outcome.Exception is not null && !args.Context.CancellationToken.IsCancellationRequested),
            MaxRetryAttempts = int.MaxValue,
            BackoffType = DelayBackoffType.Exponential,
            UseJitter = true,
            Delay = TimeSpan.FromMilliseconds(200),
            MaxDelay = TimeSpan.FromSeconds(10),
            OnRetry = args =>
            {
                logger.LogWarning("Consumer of {Topic} could not subscribe or lost its subscription at once ({Error}); subscribing again in {Delay} ms",
                    MessageTopic.Of<TMessage>(), args.Outcome.Exception?.Message, (int)args.RetryDelay.TotalMilliseconds);
                return ValueTask.CompletedTask;
            },
        })
        .Build();

    protected override Task ExecuteAsync(CancellationToken stoppingToken) =>
        Task.WhenAll(Enumerable.Range(0, settings.Concurrency).Select(_ => ConsumeAsync(stoppingToken)));

    private async Task ConsumeAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await _subscribeRetry.ExecuteAsync(ConsumeOneSubscriptionAsync, stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
        }
    }

    /// <summary>
    /// Subscribes and consumes until the subscription ends. Throws when it ended before it acknowledged anything, so the
    /// retry waits longer each time; returns when it had been working, so that the next one starts from the short wait.
    /// </summary>
    private async ValueTask ConsumeOneSubscriptionAsync(CancellationToken ct)
    {
        var acknowledged = false;
        try
        {
            await using var subscription = await transport.SubscribeAsync(_topic, settings.Prefetch, ct);
            logger.LogInformation("Consuming {Topic} (prefetch {Prefetch}, up to {Records} records a batch)", _topic, settings.Prefetch, settings.MaxRecordsPerBatch);
            metrics.ConsumerProgressed(_topic);
            while (await subscription.Messages.WaitToReadAsync(ct))
            {
                var batch = await ReadBatchAsync(subscription.Messages, ct);
                // Empty when a competing reader of the in-process bus took the message first.
                if (batch.Count > 0)
                {
                    await subscription.AckAsync(batch, ct);
                    acknowledged = true;
                }
            }
        }
        catch (Exception ex) when (acknowledged && !ct.IsCancellationRequested)
        {
            // The subscription ended (its channel closed) or an acknowledgement failed: unacknowledged messages
            // return to the queue, so subscribing again loses nothing.
            logger.LogWarning("Consumer of {Topic} lost its subscription ({Error}); subscribing again", _topic, ex.Message);
        }
    }

    private async Task<List<InboundMessage>> ReadBatchAsync(ChannelReader<InboundMessage> reader, CancellationToken ct)
    {
        var batch = new List<InboundMessage>();
        var valid = new List<(InboundMessage Message, TMessage Body)>();
        var records = 0;
        var lingerUntil = clock.GetUtcNow() + settings.Linger;
        while (records < settings.MaxRecordsPerBatch && batch.Count < settings.Prefetch)
        {
            if (!reader.TryRead(out var message))
            {
                // Small messages (single-record requests) trickle in: waiting a few milliseconds
                // for more turns many tiny transactions into a few larger ones.
                if (!await WaitBrieflyAsync(reader, lingerUntil, ct))
                {
                    break;
                }
                continue;
            }
            batch.Add(message);
            try
            {
                var body = MessageJson.Deserialize<TMessage>(message.Body);
                valid.Add((message, body));
                records += recordCount(body);
            }
            catch (JsonException ex)
            {
                await DeadLetterAsync(message, $"Malformed message: {ex.Message}", ct);
            }
        }
        if (valid.Count > 0)
        {
            using var activity = CrmTracing.StartProcess(_topic, valid.Select(v => v.Message.Parent).ToList());
            await HandleOrSplitAsync(valid, ct);
            metrics.ConsumerProgressed(_topic);
        }
        return batch;
    }

    private async Task<bool> WaitBrieflyAsync(ChannelReader<InboundMessage> reader, DateTimeOffset until, CancellationToken ct)
    {
        var left = until - clock.GetUtcNow();
        if (left <= TimeSpan.Zero)
        {
            return false;
        }
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(left);
        try
        {
            return await reader.WaitToReadAsync(timeout.Token);
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            return false;
        }
    }

    private async Task HandleOrSplitAsync(List<(InboundMessage Message, TMessage Body)> items, CancellationToken ct)
    {
        IReadOnlyList<Deferral<TMessage>> deferrals;
        try
        {
            var messages = items.Select(i => i.Body).ToList();
            deferrals = await _storeRetry.ExecuteAsync(async token =>
            {
                await using var scope = scopes.CreateAsyncScope();
                var handler = scope.ServiceProvider.GetRequiredService<IMessageBatchHandler<TMessage>>();
                return await handler.HandleAsync(messages, token);
            }, ct);
        }
        catch (Exception ex) when (!ct.IsCancellationRequested)
        {
            if (items.Count > 1)
            {
                logger.LogWarning("A batch of {Count} {Topic} messages failed ({Error}); splitting it to isolate the bad one", items.Count, _topic, ex.Message);
                var half = items.Count / 2;
                await HandleOrSplitAsync(items[..half], ct);
                await HandleOrSplitAsync(items[half..], ct);
                return;
            }
            var (message, body) = items[0];
            await DeferOrDeadLetterAsync(message, MessageJson.Serialize(body), $"{ex.GetType().Name}: {ex.Message}", ct);
            return;
        }
        logger.LogDebug("Stored a batch of {Messages} {Topic} messages ({Deferred} deferred)", items.Count, _topic, deferrals.Count);
        foreach (var deferral in deferrals)
        {
            await DeferOrDeadLetterAsync(items[deferral.Index].Message, MessageJson.Serialize(deferral.Remainder), deferral.Reason, ct);
        }
    }

    private async Task DeferOrDeadLetterAsync(InboundMessage message, byte[] remainder, string reason, CancellationToken ct)
    {
        if (message.Attempt >= options.Value.MaxAttempts)
        {
            await DeadLetterAsync(message with { Body = remainder }, $"{reason} (after {message.Attempt} attempts)", ct);
            return;
        }
        logger.LogInformation("Deferring a {Topic} message (attempt {Attempt} of {Max}): {Reason}", _topic, message.Attempt, options.Value.MaxAttempts, reason);
        await transport.SendAsync(new OutgoingMessage(_topic, remainder, message.Attempt + 1, Deferred: true), ct);
    }

    private async Task DeadLetterAsync(InboundMessage message, string reason, CancellationToken ct)
    {
        logger.LogWarning("Dead-lettering a {Topic} message: {Reason}", _topic, reason);
        await _deadLetterRetry.ExecuteAsync(async token =>
        {
            await using var scope = scopes.CreateAsyncScope();
            var db = scope.ServiceProvider.GetRequiredService<CrmDbContext>();
            db.DeadLetters.Add(new DeadLetter
            {
                Topic = message.Topic,
                Body = Encoding.UTF8.GetString(message.Body.Span),
                Reason = reason.Length > 2000 ? reason[..2000] : reason,
                Attempts = message.Attempt,
                CreatedAt = clock.GetUtcNow().UtcDateTime,
            });
            await db.SaveChangesAsync(token);
        }, ct);
        metrics.DeadLettered(_topic);
    }
}
