using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using XenoCrm.ServiceDefaults.Messaging;

namespace XenoCrm.ServiceDefaults.Telemetry;

/// <summary>
/// The product's own instruments, on one <see cref="Meter"/> named <see cref="MeterName"/>. Each process records what
/// happens in it (Web what it accepts, Workers what they commit and send), so a figure of the whole deployment is the
/// sum over its processes; rates come from Prometheus' <c>rate()</c>. The totals are also kept here, so that the
/// System page can read this process's figures without a metrics backend.
/// <list type="table">
/// <item><term><c>xenocrm.ingestion.accepted</c> {records}, kind</term><description>records answered 202 (published and confirmed by the broker)</description></item>
/// <item><term><c>xenocrm.ingestion.committed</c> {records}, kind</term><description>records written (inserted, or an existing customer updated) by committed transactions; orders already stored are not counted</description></item>
/// <item><term><c>xenocrm.dead_letters</c> {messages}, kind</term><description>messages dead-lettered</description></item>
/// <item><term><c>xenocrm.campaign.messages.submitted</c> {messages}</term><description>messages Delivery accepted for the first time, counted once their chunk's Submitted mark committed</description></item>
/// <item><term><c>xenocrm.campaign.messages.completed</c> {messages}, outcome</term><description>log rows that moved to Sent or Failed</description></item>
/// <item><term><c>xenocrm.hangfire.job.duration</c> s, job, outcome</term><description>how long Hangfire jobs ran in this process</description></item>
/// <item><term><c>xenocrm.queue.depth</c> {messages}, kind, queue</term><description>ready messages of each queue, sampled every few seconds</description></item>
/// <item><term><c>xenocrm.queue.consumers</c> {consumers}, kind, queue</term><description>consumers attached to each queue (RabbitMQ only)</description></item>
/// <item><term><c>xenocrm.consumer.lag</c> s, kind</term><description>per topic this process consumes: 0 while its queue has no ready message, else the time since this process last stored a batch of it</description></item>
/// </list>
/// </summary>
public sealed class CrmMetrics
{
    public const string MeterName = "XenoCrm";

    private readonly Counter<long> _accepted;
    private readonly Counter<long> _committed;
    private readonly Counter<long> _deadLetters;
    private readonly Counter<long> _submitted;
    private readonly Counter<long> _completed;
    private readonly Histogram<double> _jobDuration;
    private readonly ConcurrentDictionary<string, Totals> _totals = new();
    private readonly ConcurrentDictionary<string, long> _lastProgress = new();
    private volatile IReadOnlyList<QueueDepth> _queues = [];

    public CrmMetrics(IMeterFactory meters)
    {
        ArgumentNullException.ThrowIfNull(meters);
        var meter = meters.Create(MeterName);
        _accepted = meter.CreateCounter<long>("xenocrm.ingestion.accepted", "{records}", "Records answered 202 Accepted by the ingestion API.");
        _committed = meter.CreateCounter<long>("xenocrm.ingestion.committed", "{records}", "Records written by committed ingestion transactions.");
        _deadLetters = meter.CreateCounter<long>("xenocrm.dead_letters", "{messages}", "Messages moved to the dead letters with their reason.");
        _submitted = meter.CreateCounter<long>("xenocrm.campaign.messages.submitted", "{messages}", "Campaign messages Delivery accepted for the first time.");
        _completed = meter.CreateCounter<long>("xenocrm.campaign.messages.completed", "{messages}", "Campaign messages that reached Sent or Failed.");
        _jobDuration = meter.CreateHistogram<double>("xenocrm.hangfire.job.duration", "s", "How long Hangfire jobs ran.",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120] });
        meter.CreateObservableGauge("xenocrm.queue.depth", ObserveDepths, "{messages}", "Messages ready in each queue, sampled every few seconds.");
        meter.CreateObservableGauge("xenocrm.queue.consumers", ObserveConsumers, "{consumers}", "Consumers attached to each queue.");
        meter.CreateObservableGauge("xenocrm.consumer.lag", ObserveLag, "s", "0 while a consumed queue has no ready message, else the time since this process last stored a batch of it.");
    }

    /// <summary>The short name of a topic, the <c>kind</c> tag: customers, orders, receipts.</summary>
    public static string KindOf(string topic) => topic[(topic.LastIndexOf('.') + 1)..];

    public void IngestionAccepted(string topic, int records) => Add(_accepted, "accepted", KindOf(topic), records);

    public void IngestionCommitted(string topic, int records) => Add(_committed, "committed", KindOf(topic), records);

    public void DeadLettered(string topic) => Add(_deadLetters, "dead_letters", KindOf(topic), 1);

    public void CampaignMessagesSubmitted(int messages)
    {
        if (messages > 0)
        {
            _submitted.Add(messages);
            Total("submitted", "").Add(messages);
        }
    }

    public void CampaignMessagesCompleted(int sent, int failed)
    {
        if (sent > 0)
        {
            _completed.Add(sent, new KeyValuePair<string, object?>("outcome", "sent"));
            Total("completed", "sent").Add(sent);
        }
        if (failed > 0)
        {
            _completed.Add(failed, new KeyValuePair<string, object?>("outcome", "failed"));
            Total("completed", "failed").Add(failed);
        }
    }

    public void JobPerformed(string job, bool succeeded, TimeSpan duration) =>
        _jobDuration.Record(duration.TotalSeconds,
            new KeyValuePair<string, object?>("job", job), new KeyValuePair<string, object?>("outcome", succeeded ? "succeeded" : "failed"));

    /// <summary>A consumer of <paramref name="topic"/> subscribed, or stored a batch: its lag starts again from now.</summary>
    public void ConsumerProgressed(string topic) => _lastProgress[topic] = Stopwatch.GetTimestamp();

    /// <summary>The latest sample of the queues, for the gauges and the System page.</summary>
    public IReadOnlyList<QueueDepth> Queues
    {
        get => _queues;
        internal set => _queues = value;
    }

    /// <summary>This process's total of a counter, by tag value (kind or outcome); 0 when nothing was recorded.</summary>
    public long TotalOf(string counter, string tag = "") => _totals.TryGetValue($"{counter}/{tag}", out var total) ? total.Value : 0;

    private void Add(Counter<long> counter, string name, string kind, int records)
    {
        if (records <= 0)
        {
            return;
        }
        counter.Add(records, new KeyValuePair<string, object?>("kind", kind));
        Total(name, kind).Add(records);
    }

    private Totals Total(string counter, string tag) => _totals.GetOrAdd($"{counter}/{tag}", _ => new Totals());

    private IEnumerable<Measurement<long>> ObserveDepths() =>
        _queues.Select(q => new Measurement<long>(q.Ready, Tags(q)));

    private IEnumerable<Measurement<long>> ObserveConsumers() =>
        _queues.Where(q => q.Consumers is not null).Select(q => new Measurement<long>(q.Consumers!.Value, Tags(q)));

    private IEnumerable<Measurement<double>> ObserveLag()
    {
        var queues = _queues;
        foreach (var (topic, at) in _lastProgress)
        {
            var ready = queues.Where(q => q.Topic == topic && !q.IsRetryQueue).Sum(q => q.Ready);
            var lag = ready == 0 ? 0 : Stopwatch.GetElapsedTime(at).TotalSeconds;
            yield return new Measurement<double>(lag, new KeyValuePair<string, object?>("kind", KindOf(topic)));
        }
    }

    private static KeyValuePair<string, object?>[] Tags(QueueDepth queue) =>
        [new("kind", KindOf(queue.Topic)), new("queue", queue.Queue)];

    private sealed class Totals
    {
        private long _value;

        public long Value => Interlocked.Read(ref _value);

        public void Add(long amount) => Interlocked.Add(ref _value, amount);
    }
}
