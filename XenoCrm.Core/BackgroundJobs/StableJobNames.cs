using Hangfire;
using Hangfire.Common;
using XenoCrm.Core.Campaigns.Sending;

namespace XenoCrm.Core.BackgroundJobs;

/// <summary>
/// The names Hangfire stores for each job type, in one table. Hangfire keeps a queued job as its type's name, its method's
/// name and its parameter types' names; a name derived from the class (namespace and assembly) would strand every queued
/// job the day the class moves, so each job type is stored under a name of its own that never changes. Types outside the
/// table (the parameters: <see cref="long"/>, <see cref="CancellationToken"/>…) keep Hangfire's simple assembly names.
/// </summary>
public static class StableJobNames
{
    private static readonly Dictionary<Type, string> NameOf = new()
    {
        [typeof(CampaignStartJob)] = "campaign.start",
        [typeof(CampaignChunkJob)] = "campaign.chunk",
        [typeof(CampaignRetryFailedJob)] = "campaign.retry-failed",
    };

    /// <summary>
    /// The names the jobs were stored under while they lived in XenoCrm.Workers (<c>UseSimpleAssemblyNameTypeSerializer</c>
    /// writes "namespace.class, assembly"), so that what an installation had queued before the upgrade still runs. Their
    /// methods kept their names and parameter types, so the stored method still binds.
    /// </summary>
    private static readonly Dictionary<string, Type> FormerNames = new(StringComparer.Ordinal)
    {
        ["XenoCrm.Workers.Campaigns.CampaignStartJob, XenoCrm.Workers"] = typeof(CampaignStartJob),
        ["XenoCrm.Workers.Campaigns.CampaignChunkJob, XenoCrm.Workers"] = typeof(CampaignChunkJob),
        ["XenoCrm.Workers.Campaigns.CampaignRetryFailedJob, XenoCrm.Workers"] = typeof(CampaignRetryFailedJob),
    };

    private static readonly Dictionary<string, Type> TypeOf = NameOf
        .ToDictionary(pair => pair.Value, pair => pair.Key, StringComparer.Ordinal)
        .Concat(FormerNames)
        .ToDictionary(pair => pair.Key, pair => pair.Value, StringComparer.Ordinal);

    /// <summary>The job types that have a stable name.</summary>
    public static IReadOnlyCollection<Type> JobTypes => NameOf.Keys;

    /// <summary>Hangfire's type serializer: a job type's stable name, any other type's simple assembly-qualified name.</summary>
    public static string Serialize(Type type) =>
        NameOf.TryGetValue(type, out var name) ? name : TypeHelper.SimpleAssemblyTypeSerializer(type);

    /// <summary>Hangfire's type resolver: a stable or former job name, else Hangfire's own resolution.</summary>
    public static Type Resolve(string name) =>
        TypeOf.TryGetValue(name, out var type) ? type : TypeHelper.DefaultTypeResolver(name);

    public static IGlobalConfiguration UseStableJobNames(this IGlobalConfiguration configuration) =>
        configuration.UseTypeSerializer(Serialize).UseTypeResolver(Resolve);
}
