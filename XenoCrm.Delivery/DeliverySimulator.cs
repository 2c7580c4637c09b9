using Microsoft.Extensions.Options;
using XenoCrm.ServiceDefaults.Messaging;

namespace XenoCrm.Delivery;

/// <param name="Accepted">Messages accepted for the first time.</param>
/// <param name="Duplicates">Messages whose id had already been accepted: their receipt was published again.</param>
/// <param name="ServerErrors">Batch requests answered 500 by fault injection.</param>
/// <param name="TooManyRequests">Batch requests answered 429 by fault injection.</param>
/// <param name="Timeouts">Batch requests left hanging, then answered 504, by fault injection.</param>
public sealed record DeliveryStats(long Accepted, long Duplicates, long ServerErrors, long TooManyRequests, long Timeouts)
{
    public long RejectedRequests => ServerErrors + TooManyRequests + Timeouts;
}

public enum DeliveryFault
{
    ServerError,
    TooManyRequests,
    Timeout,
}

/// <summary>
/// The simulated vendor: decides each message's outcome and publishes the receipts before answering, so that an
/// answered batch always has its receipts on the bus. Accepting is idempotent by message id: a resubmitted id is
/// counted as a duplicate and its receipt, the same outcome as the first time, is published again, which is how
/// a sender recovers a receipt that was lost.
/// </summary>
public sealed class DeliverySimulator(IMessagePublisher publisher, IOptions<DeliverySimulationOptions> options, TimeProvider clock)
{
    /// <summary>Receipts per bus message: small enough for the broker, large enough for the consumer's batches.</summary>
    public const int ReceiptsPerMessage = 1000;

    private readonly DeliverySimulationOptions _options = options.Value;
    private readonly Lock _acceptedLock = new();
    // 64-bit hashes rather than the ids: a million ids cost ~20-30 MB instead of ~100. A hash collision (odds about
    // 1 in 30 million at a million ids) only miscounts a new message as a duplicate; its receipt is still published
    // with its own outcome, because outcomes are computed from the id, never looked up here.
    private readonly HashSet<ulong> _accepted = [];
    private long _acceptedCount;
    private long _duplicateCount;
    private long _serverErrors;
    private long _tooManyRequests;
    private long _timeouts;
    private readonly Lock _faultRollsLock = new();
    private readonly Random _faultRolls = new(options.Value.Seed);

    public DeliveryStats Stats => new(
        Interlocked.Read(ref _acceptedCount), Interlocked.Read(ref _duplicateCount),
        Interlocked.Read(ref _serverErrors), Interlocked.Read(ref _tooManyRequests), Interlocked.Read(ref _timeouts));

    /// <summary>
    /// Accepts a batch and completes once its receipts are durably published; throws <see cref="MessagePublishException"/>
    /// when they could not be, in which case nothing of the batch counts as accepted.
    /// </summary>
    public async Task<DeliverySubmission> AcceptAsync(IReadOnlyList<OutboundMessage> messages, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(messages);
        if (_options.Latency > TimeSpan.Zero)
        {
            await Task.Delay(_options.Latency, clock, ct);
        }

        var keys = new ulong[messages.Count];
        for (var i = 0; i < messages.Count; i++)
        {
            keys[i] = DeliveryOutcomes.IdKey(messages[i].Id);
        }
        // Reserved before publishing, so that a concurrent resubmission of the same id counts as a duplicate.
        var added = new List<ulong>(messages.Count);
        lock (_acceptedLock)
        {
            foreach (var key in keys)
            {
                if (_accepted.Add(key))
                {
                    added.Add(key);
                }
            }
        }

        try
        {
            // Not cancelled by the sender hanging up (a worker killed mid-request): once receipts start going out the
            // messages are sent, and undoing the reservation then would count them, and send them, again when the
            // reconciler resubmits (CampaignSendTests.Send_RecoversExactlyOnce_WhenTheWorkerIsKilledMidSend).
            await PublishReceiptsAsync(messages, CancellationToken.None);
        }
        catch
        {
            // The broker refused: the sender gets an error and will resubmit, so these ids must then count as new again.
            lock (_acceptedLock)
            {
                foreach (var key in added)
                {
                    _accepted.Remove(key);
                }
            }
            throw;
        }

        var duplicates = messages.Count - added.Count;
        Interlocked.Add(ref _acceptedCount, added.Count);
        Interlocked.Add(ref _duplicateCount, duplicates);
        return new DeliverySubmission(added.Count, duplicates);
    }

    /// <summary>
    /// Decides whether fault injection turns this batch request away, and counts it if so. The rolls come from one
    /// generator seeded with <see cref="DeliverySimulationOptions.Seed"/>, so the n-th request of a run always gets
    /// the same answer whatever the timing: a test or a benchmark sees the same faults every time. One roll per
    /// request, so the rates are shares of requests and never overlap.
    /// </summary>
    public DeliveryFault? NextFault()
    {
        if (_options.ServerErrorRate + _options.TooManyRequestsRate + _options.TimeoutRate <= 0)
        {
            return null;
        }
        double roll;
        lock (_faultRollsLock)
        {
            roll = _faultRolls.NextDouble();
        }
        if (roll < _options.ServerErrorRate)
        {
            Interlocked.Increment(ref _serverErrors);
            return DeliveryFault.ServerError;
        }
        roll -= _options.ServerErrorRate;
        if (roll < _options.TooManyRequestsRate)
        {
            Interlocked.Increment(ref _tooManyRequests);
            return DeliveryFault.TooManyRequests;
        }
        roll -= _options.TooManyRequestsRate;
        if (roll < _options.TimeoutRate)
        {
            Interlocked.Increment(ref _timeouts);
            return DeliveryFault.Timeout;
        }
        return null;
    }

    private Task PublishReceiptsAsync(IReadOnlyList<OutboundMessage> messages, CancellationToken ct)
    {
        var at = clock.GetUtcNow().UtcDateTime;
        var publishes = new List<Task>((messages.Count + ReceiptsPerMessage - 1) / ReceiptsPerMessage);
        for (var start = 0; start < messages.Count; start += ReceiptsPerMessage)
        {
            var receipts = new DeliveryReceipt[Math.Min(ReceiptsPerMessage, messages.Count - start)];
            for (var i = 0; i < receipts.Length; i++)
            {
                var id = messages[start + i].Id;
                var decision = DeliveryOutcomes.Decide(id, _options.Seed, _options.SuccessRate);
                receipts[i] = new DeliveryReceipt(id, decision.Outcome, decision.Reason, at);
            }
            publishes.Add(publisher.PublishAsync(new DeliveryReceiptsPublished(receipts), ct));
        }
        return Task.WhenAll(publishes);
    }
}
