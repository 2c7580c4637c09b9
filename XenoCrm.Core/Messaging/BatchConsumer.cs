using System.Data.Common;
using System.Text;
using System.Text.Json;
using System.Threading.Channels;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
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
public sealed record BatchConsumerSettings(string Topic, ushort Prefetch, int MaxRecordsPerBatch, int Concurrency = 1)
{
    /// <summary>How long a read waits for more messages while its batch is still small.</summary>
    public TimeSpan Linger { get; init; } = TimeSpan.FromMilliseconds(10);
}

/// <summary>
/// Consumes a topic in batches: reads what the prefetch window holds (up to a record budget),
/// hands it to the handler, publishes deferrals, and acknowledges only after the handler
/// committed. A batch that fails is split in halves until the failing message stands alone;
/// that one is retried after the delay and finally dead-lettered with its reason. A failure the
/// database causes (it is down, a deadlock) is not the message's fault: the same batch is
/// retried with backoff, spending none of its attempts.
/// </summary>
public sealed class BatchConsumer<TMessage>(
    BatchConsumerSettings settings,
    Func<TMessage, int> recordCount,
    IMessageSubscriber subscriber,
    IMessagePublisher publisher,
    IServiceScopeFactory scopes,
    IOptions<MessagingOptions> options,
    CrmMetrics metrics,
    ILogger<BatchConsumer<TMessage>> logger) : BackgroundService
{
    private static readonly TimeSpan MaxBackoff = TimeSpan.FromSeconds(10);

    protected override Task ExecuteAsync(CancellationToken stoppingToken) =>
        Task.WhenAll(Enumerable.Range(0, settings.Concurrency).Select(_ => ConsumeAsync(stoppingToken)));

    private async Task ConsumeAsync(CancellationToken stoppingToken)
    {
        var backoff = new Backoff();
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await using var subscription = await subscriber.SubscribeAsync(settings.Topic, settings.Prefetch, stoppingToken);
                logger.LogInformation("Consuming {Topic} (prefetch {Prefetch}, up to {Records} records a batch)", settings.Topic, settings.Prefetch, settings.MaxRecordsPerBatch);
                metrics.ConsumerProgressed(settings.Topic);
                backoff.Reset();
                while (await subscription.Messages.WaitToReadAsync(stoppingToken))
                {
                    var batch = await ReadBatchAsync(subscription.Messages, stoppingToken);
                    // Empty when a competing reader of the in-process bus took the message first.
                    if (batch.Count > 0)
                    {
                        await subscription.AckAsync(batch, stoppingToken);
                    }
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                // The broker went away (or was never there): unacknowledged messages return to
                // the queue, so resubscribing loses nothing.
                var delay = backoff.Next();
                logger.LogWarning("Consumer of {Topic} lost its subscription ({Error}); resubscribing in {Delay} ms", settings.Topic, ex.Message, (int)delay.TotalMilliseconds);
                await Task.Delay(delay, stoppingToken);
            }
        }
    }

    private async Task<List<InboundMessage>> ReadBatchAsync(ChannelReader<InboundMessage> reader, CancellationToken ct)
    {
        var batch = new List<InboundMessage>();
        var valid = new List<(InboundMessage Message, TMessage Body)>();
        var records = 0;
        var lingerUntil = DateTime.UtcNow + settings.Linger;
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
            using var activity = CrmTracing.StartProcess(settings.Topic, valid.Select(v => v.Message.Parent).ToList());
            await HandleOrSplitAsync(valid, ct);
            metrics.ConsumerProgressed(settings.Topic);
        }
        return batch;
    }

    private static async Task<bool> WaitBrieflyAsync(ChannelReader<InboundMessage> reader, DateTime until, CancellationToken ct)
    {
        var left = until - DateTime.UtcNow;
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
            deferrals = await HandleRetryingTransientFailuresAsync(items.Select(i => i.Body).ToList(), ct);
        }
        catch (Exception ex) when (!ct.IsCancellationRequested)
        {
            if (items.Count > 1)
            {
                logger.LogWarning("A batch of {Count} {Topic} messages failed ({Error}); splitting it to isolate the bad one", items.Count, settings.Topic, ex.Message);
                var half = items.Count / 2;
                await HandleOrSplitAsync(items[..half], ct);
                await HandleOrSplitAsync(items[half..], ct);
                return;
            }
            var (message, body) = items[0];
            await DeferOrDeadLetterAsync(message, MessageJson.Serialize(body), $"{ex.GetType().Name}: {ex.Message}", ct);
            return;
        }
        logger.LogDebug("Stored a batch of {Messages} {Topic} messages ({Deferred} deferred)", items.Count, settings.Topic, deferrals.Count);
        foreach (var deferral in deferrals)
        {
            await DeferOrDeadLetterAsync(items[deferral.Index].Message, MessageJson.Serialize(deferral.Remainder), deferral.Reason, ct);
        }
    }

    private async Task<IReadOnlyList<Deferral<TMessage>>> HandleRetryingTransientFailuresAsync(List<TMessage> messages, CancellationToken ct)
    {
        var backoff = new Backoff();
        while (true)
        {
            try
            {
                await using var scope = scopes.CreateAsyncScope();
                var handler = scope.ServiceProvider.GetRequiredService<IMessageBatchHandler<TMessage>>();
                return await handler.HandleAsync(messages, ct);
            }
            catch (Exception ex) when (!ct.IsCancellationRequested)
            {
                if (!await IsDatabaseTroubleAsync(ex, ct))
                {
                    throw;
                }
                var delay = backoff.Next();
                logger.LogWarning("The database failed while storing {Topic} ({Error}); retrying the same batch in {Delay} ms", settings.Topic, ex.Message, (int)delay.TotalMilliseconds);
                await Task.Delay(delay, ct);
            }
        }
    }

    private async Task DeferOrDeadLetterAsync(InboundMessage message, byte[] remainder, string reason, CancellationToken ct)
    {
        if (message.Attempt >= options.Value.MaxAttempts)
        {
            await DeadLetterAsync(message with { Body = remainder }, $"{reason} (after {message.Attempt} attempts)", ct);
            return;
        }
        logger.LogInformation("Deferring a {Topic} message (attempt {Attempt} of {Max}): {Reason}", settings.Topic, message.Attempt, options.Value.MaxAttempts, reason);
        await publisher.PublishAsync(settings.Topic, remainder, message.Attempt + 1, delayed: true, ct);
    }

    private async Task DeadLetterAsync(InboundMessage message, string reason, CancellationToken ct)
    {
        logger.LogWarning("Dead-lettering a {Topic} message: {Reason}", settings.Topic, reason);
        var backoff = new Backoff();
        while (true)
        {
            try
            {
                await using var scope = scopes.CreateAsyncScope();
                var db = scope.ServiceProvider.GetRequiredService<CrmDbContext>();
                db.DeadLetters.Add(new DeadLetter
                {
                    Topic = message.Topic,
                    Body = Encoding.UTF8.GetString(message.Body.Span),
                    Reason = reason.Length > 2000 ? reason[..2000] : reason,
                    Attempts = message.Attempt,
                    CreatedAt = DateTime.UtcNow,
                });
                await db.SaveChangesAsync(ct);
                metrics.DeadLettered(settings.Topic);
                return;
            }
            catch (Exception ex) when (!ct.IsCancellationRequested)
            {
                if (!await IsDatabaseTroubleAsync(ex, ct))
                {
                    throw;
                }
                await Task.Delay(backoff.Next(), ct);
            }
        }
    }

    /// <summary>
    /// True when the failure is the database's, not the message's: a transient error by the
    /// driver's own judgement, or any error while the database does not answer a ping.
    /// </summary>
    private async Task<bool> IsDatabaseTroubleAsync(Exception ex, CancellationToken ct)
    {
        for (var e = ex; e is not null; e = e.InnerException)
        {
            if (e is DbException { IsTransient: true } or TimeoutException or SqliteException { SqliteErrorCode: 5 or 6 })
            {
                return true;
            }
        }
        try
        {
            await using var scope = scopes.CreateAsyncScope();
            var db = scope.ServiceProvider.GetRequiredService<CrmDbContext>();
            return !await db.Database.CanConnectAsync(ct);
        }
        catch (Exception) when (!ct.IsCancellationRequested)
        {
            return true;
        }
    }

    private sealed class Backoff
    {
        private int _failures;

        public void Reset() => _failures = 0;

        public TimeSpan Next()
        {
            var delay = TimeSpan.FromMilliseconds(200 * Math.Pow(2, Math.Min(_failures++, 6)));
            return delay < MaxBackoff ? delay : MaxBackoff;
        }
    }
}
