namespace XenoCrm.ServiceDefaults.Messaging;

/// <param name="Topic">The topic the queue serves.</param>
/// <param name="Queue">The queue's name on the broker (a topic has its main queue and its retry queue).</param>
/// <param name="Ready">Messages waiting to be delivered to a consumer; delivered and unacknowledged ones are not counted.</param>
/// <param name="Consumers">Consumers attached to the queue, when the transport knows.</param>
public sealed record QueueDepth(string Topic, string Queue, long Ready, long? Consumers)
{
    public bool IsRetryQueue => Queue.EndsWith(".retry", StringComparison.Ordinal);
}

/// <summary>What a bus can tell about its queues, for metrics and the System page.</summary>
public interface IQueueInspector
{
    Task<IReadOnlyList<QueueDepth>> InspectAsync(CancellationToken ct);
}
