using System.Reflection;
using Hangfire;
using Hangfire.Common;
using Hangfire.Storage;
using XenoCrm.Core.BackgroundJobs;
using XenoCrm.Core.Campaigns.Sending;

namespace XenoCrm.Core.Tests.BackgroundJobs;

public sealed class StableJobNamesTests
{
    // What UseSimpleAssemblyNameTypeSerializer wrote for the jobs while they lived in XenoCrm.Workers: each job's
    // type, its method and its parameter types, as Hangfire writes them (Int32 and Int64 without an assembly, CancellationToken with mscorlib).
    public static TheoryData<string, string, string, string, Type> FormerJobs => new()
    {
        {
            "XenoCrm.Workers.Campaigns.CampaignStartJob, XenoCrm.Workers", "RunAsync",
            """["System.Int64","System.Threading.CancellationToken, mscorlib"]""",
            """["42",null]""",
            typeof(CampaignStartJob)
        },
        {
            "XenoCrm.Workers.Campaigns.CampaignRetryFailedJob, XenoCrm.Workers", "RunAsync",
            """["System.Int64","System.Int32","System.Threading.CancellationToken, mscorlib"]""",
            """["42","2",null]""",
            typeof(CampaignRetryFailedJob)
        },
        {
            "XenoCrm.Workers.Campaigns.CampaignChunkJob, XenoCrm.Workers", "RunAsync",
            """["System.Int64","System.Int32","System.Int32","System.Int32","System.Int64","System.Int64","System.Threading.CancellationToken, mscorlib"]""",
            """["42","3","7","1","1001","2001",null]""",
            typeof(CampaignChunkJob)
        },
    };

    public StableJobNamesTests() => GlobalConfiguration.Configuration.UseStableJobNames();

    [Theory]
    [MemberData(nameof(FormerJobs))]
    public void AJobStoredUnderItsFormerWorkersName_BindsToTheMovedClassAndMethod(string type, string method, string parameterTypes, string arguments, Type expected)
    {
#pragma warning disable CS0618 // The four-string constructor is the stored (pre-payload) form, the one the old names were written in.
        var job = new InvocationData(type, method, parameterTypes, arguments).DeserializeJob();
#pragma warning restore CS0618

        Assert.Equal(expected, job.Type);
        Assert.Equal(expected.GetMethod("RunAsync"), job.Method);
        Assert.Equal(42L, job.Args[0]);
        Assert.Equal(CancellationToken.None, job.Args[^1]);
    }

    [Fact]
    public void TheParameterTypes_AreWrittenAsTheyWereBeforeTheMove()
    {
        Assert.Equal("System.Int64", StableJobNames.Serialize(typeof(long)));
        Assert.Equal("System.Int32", StableJobNames.Serialize(typeof(int)));
        Assert.Equal("System.Threading.CancellationToken, mscorlib", StableJobNames.Serialize(typeof(CancellationToken)));
    }

    [Fact]
    public void NewJobs_AreStoredUnderNamesThatDoNotNameANamespaceOrAssembly()
    {
        var start = InvocationData.SerializeJob(Job.FromExpression<CampaignStartJob>(j => j.RunAsync(42, CancellationToken.None)));
        var retry = InvocationData.SerializeJob(Job.FromExpression<CampaignRetryFailedJob>(j => j.RunAsync(42, 2, CancellationToken.None)));
        var chunk = InvocationData.SerializeJob(Job.FromExpression<CampaignChunkJob>(j => j.RunAsync(42, 3, 7, 1, 1001, 2001, CancellationToken.None)));

        Assert.Equal("campaign.start", start.Type);
        Assert.Equal("campaign.retry-failed", retry.Type);
        Assert.Equal("campaign.chunk", chunk.Type);
        Assert.Equal(typeof(CampaignChunkJob).GetMethod("RunAsync"), chunk.DeserializeJob().Method);
    }

    [Fact]
    public void EveryJobClass_HasAStableName()
    {
        // A job class is one Hangfire runs on a queue of its own; a new one without a stable name would be stored under its namespace.
        var jobClasses = typeof(StableJobNames).Assembly.GetTypes().Where(t => t.GetCustomAttribute<QueueAttribute>() is not null).ToList();

        Assert.NotEmpty(jobClasses);
        Assert.All(jobClasses, t => Assert.Contains(t, StableJobNames.JobTypes));
    }
}
