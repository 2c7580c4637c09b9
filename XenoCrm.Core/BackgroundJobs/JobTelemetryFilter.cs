using System.Diagnostics;
using Hangfire.Client;
using Hangfire.Common;
using Hangfire.Server;
using Microsoft.Extensions.Logging;
using XenoCrm.ServiceDefaults.Telemetry;

namespace XenoCrm.Core.BackgroundJobs;

/// <summary>
/// Traces and times Hangfire jobs. On enqueue (Web's client, or a job enqueueing the next ones) the caller's trace
/// context is stored as a job parameter; the server runs the job in a span continuing it, with the job's id in the log
/// scope, and records its duration in <c>xenocrm.hangfire.job.duration</c>. Registered through the container's
/// <see cref="IJobFilterProvider"/> rather than Hangfire's static global filters, so that each host records into its
/// own <see cref="CrmMetrics"/>.
/// </summary>
public sealed class JobTelemetryFilter(CrmMetrics metrics, ILogger<JobTelemetryFilter> logger) : IClientFilter, IServerFilter
{
    private const string TraceParameter = "traceparent";
    private const string StateItem = "xenocrm.telemetry";

    private sealed record Running(long StartedAt, Activity? Activity, IDisposable? Scope);

    public void OnCreating(CreatingContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        if (Activity.Current is { IdFormat: ActivityIdFormat.W3C } current)
        {
            context.SetJobParameter(TraceParameter, current.Id);
        }
    }

    public void OnCreated(CreatedContext context)
    {
    }

    public void OnPerforming(PerformingContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var job = context.BackgroundJob;
        ActivityContext.TryParse(context.GetJobParameter<string>(TraceParameter), null, isRemote: true, out var parent);
        var activity = CrmTracing.Source.StartActivity($"job {job.Job.Type.Name}", ActivityKind.Consumer, parent);
        activity?.SetTag("hangfire.job.id", job.Id);
        activity?.SetTag("hangfire.job.type", job.Job.Type.Name);
        var scope = logger.BeginScope(new Dictionary<string, object> { ["JobId"] = job.Id });
        context.Items[StateItem] = new Running(Stopwatch.GetTimestamp(), activity, scope);
    }

    public void OnPerformed(PerformedContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        if (!context.Items.TryGetValue(StateItem, out var item) || item is not Running running)
        {
            return;
        }
        var succeeded = context.Exception is null || context.ExceptionHandled;
        metrics.JobPerformed(context.BackgroundJob.Job.Type.Name, succeeded, Stopwatch.GetElapsedTime(running.StartedAt));
        if (!succeeded)
        {
            running.Activity?.SetStatus(ActivityStatusCode.Error, context.Exception!.GetBaseException().Message);
        }
        running.Scope?.Dispose();
        running.Activity?.Dispose();
    }
}
