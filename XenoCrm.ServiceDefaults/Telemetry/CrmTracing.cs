using System.Diagnostics;
using System.Text;

namespace XenoCrm.ServiceDefaults.Telemetry;

/// <summary>
/// The product's spans: publishing to and consuming from the bus, and Hangfire jobs. RabbitMQ.Client has no built-in
/// tracing, so the W3C trace context travels in each message's headers (<c>traceparent</c>, <c>tracestate</c>), and a
/// consumed batch continues the trace of its first message, linking the others. HTTP calls between the processes
/// carry the context by themselves (ASP.NET Core and HttpClient propagate it).
/// </summary>
public static class CrmTracing
{
    public const string SourceName = "XenoCrm";

    public static readonly ActivitySource Source = new(SourceName);

    /// <summary>A producer span for one publish; null when nobody listens.</summary>
    public static Activity? StartPublish(string topic)
    {
        var activity = Source.StartActivity($"publish {topic}", ActivityKind.Producer);
        activity?.SetTag("messaging.system", "rabbitmq");
        activity?.SetTag("messaging.operation.type", "send");
        activity?.SetTag("messaging.destination.name", topic);
        return activity;
    }

    /// <summary>A consumer span for a batch, parented to the first message's context and linked to the others'.</summary>
    public static Activity? StartProcess(string topic, IReadOnlyCollection<ActivityContext> parents)
    {
        ArgumentNullException.ThrowIfNull(parents);
        var parent = parents.FirstOrDefault(p => p != default);
        // A batch of a thousand single-record requests would otherwise carry a thousand links.
        var links = parents.Where(p => p != default && p != parent).Distinct().Take(64).Select(p => new ActivityLink(p));
        var activity = Source.StartActivity($"process {topic}", ActivityKind.Consumer, parent, links: links);
        activity?.SetTag("messaging.system", "rabbitmq");
        activity?.SetTag("messaging.operation.type", "process");
        activity?.SetTag("messaging.destination.name", topic);
        activity?.SetTag("messaging.batch.message_count", parents.Count);
        return activity;
    }

    /// <summary>Writes the current trace context into message headers.</summary>
    public static void Inject(IDictionary<string, object?> headers)
    {
        ArgumentNullException.ThrowIfNull(headers);
        if (Activity.Current is { } current)
        {
            DistributedContextPropagator.Current.Inject(current, headers,
                static (carrier, name, value) => ((IDictionary<string, object?>)carrier!)[name] = value);
        }
    }

    /// <summary>Reads a trace context from message headers (RabbitMQ hands string headers back as UTF-8 bytes).</summary>
    public static ActivityContext Extract(IDictionary<string, object?>? headers)
    {
        if (headers is null)
        {
            return default;
        }
        DistributedContextPropagator.Current.ExtractTraceIdAndState(headers,
            static (carrier, name, out value, out values) =>
            {
                values = null;
                value = ((IDictionary<string, object?>)carrier!).TryGetValue(name, out var raw)
                    ? raw switch
                    {
                        byte[] bytes => Encoding.UTF8.GetString(bytes),
                        string text => text,
                        _ => null,
                    }
                    : null;
            },
            out var traceParent, out var traceState);
        return ActivityContext.TryParse(traceParent, traceState, isRemote: true, out var context) ? context : default;
    }
}
