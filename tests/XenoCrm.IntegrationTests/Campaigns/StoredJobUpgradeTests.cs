using Hangfire;
using Hangfire.Common;
using Hangfire.Redis.StackExchange;
using Hangfire.States;
using StackExchange.Redis;
using XenoCrm.Core.BackgroundJobs;
using XenoCrm.Core.Campaigns;
using XenoCrm.Core.Campaigns.Sending;
using XenoCrm.IntegrationTests.Infrastructure;

namespace XenoCrm.IntegrationTests.Campaigns;

/// <summary>
/// A send job queued by the release whose jobs lived in XenoCrm.Workers (stored under "XenoCrm.Workers.Campaigns.…,
/// XenoCrm.Workers") still runs after the upgrade, on real Redis with Web, Workers and Delivery as separate processes.
/// </summary>
[Collection(SharedServersDefinition.Name)]
public sealed class StoredJobUpgradeTests(SharedServers servers)
{
    private const string FormerStartJobType = "XenoCrm.Workers.Campaigns.CampaignStartJob, XenoCrm.Workers";

    [Fact]
    public async Task AStartJobStoredUnderItsFormerWorkersName_RunsTheSendAfterTheUpgrade()
    {
        await using var stack = await DistributedDeployment.StartAsync(servers.MariaDb, servers.RabbitMq, servers.Redis);
        await CampaignDeployment.SeedCustomersAsync(stack, 300);
        var campaignId = await CampaignDeployment.CreateCampaignAsync(stack);
        // What "send now" left behind before the upgrade: the campaign Sending, its start job queued. The progress stamp keeps
        // the reconciler (2 minutes without progress) from starting it, so only the stored job can.
        await stack.ScalarAsync($"UPDATE campaigns SET status = {(int)CampaignStatus.Sending}, started_at = UTC_TIMESTAMP(6), last_progress_at = UTC_TIMESTAMP(6) WHERE id = {campaignId}");
        Assert.Equal(1, await stack.ScalarAsync($"SELECT COUNT(*) FROM campaigns WHERE id = {campaignId} AND status = {(int)CampaignStatus.Sending} AND audience_size IS NULL"));

        // This process reads the stored job back to enqueue it, as every host of the new release does.
        GlobalConfiguration.Configuration.UseStableJobNames();
        // Hangfire's log provider is static, and the in-process hosts of other tests set theirs to a LoggerFactory
        // that is disposed with them: the client, which asks for a logger as it is built, takes a silent one instead.
        GlobalConfiguration.Configuration.UseLogProvider(new SilentLogProvider());
        var storage = new RedisStorage(servers.Redis.ConnectionString, new RedisStorageOptions { Prefix = stack.HangfirePrefix });
        var client = new BackgroundJobClient(storage);
        // Parked in the schedule for a day, so that no server runs it before it is rewritten.
        var jobId = client.Create(Job.FromExpression<CampaignStartJob>(job => job.RunAsync(campaignId, CancellationToken.None)), new ScheduledState(TimeSpan.FromDays(1)));
        await using (var redis = await ConnectionMultiplexer.ConnectAsync(servers.Redis.ConnectionString))
        {
            var key = $"{stack.HangfirePrefix}job:{jobId}";
            var db = redis.GetDatabase();
            Assert.Equal("campaign.start", (string?)await db.HashGetAsync(key, "Type"));
            // Rewrite it in the old release's form: UseSimpleAssemblyNameTypeSerializer's name of the class in XenoCrm.Workers.
            await db.HashSetAsync(key, [
                new HashEntry("Type", FormerStartJobType),
                new HashEntry("Method", "RunAsync"),
                new HashEntry("ParameterTypes", """["System.Int64","System.Threading.CancellationToken, mscorlib"]"""),
                new HashEntry("Arguments", $"""["{campaignId}",null]"""),
            ]);
            Assert.Equal(FormerStartJobType, (string?)await db.HashGetAsync(key, "Type"));
        }
        Assert.True(client.ChangeState(jobId, new EnqueuedState(CampaignQueues.Campaigns), ScheduledState.StateName));

        await CampaignDeployment.WaitForCompletedAsync(stack, campaignId, TimeSpan.FromSeconds(90));
        await CampaignDeployment.AssertDeliveredExactlyOnceAsync(stack, campaignId, 300);
        using (var connection = storage.GetConnection())
        {
            Assert.Equal(SucceededState.StateName, connection.GetStateData(jobId)?.Name);
        }
    }

    private sealed class SilentLogProvider : Hangfire.Logging.ILogProvider
    {
        public Hangfire.Logging.ILog GetLogger(string name) => new SilentLog();
    }

    private sealed class SilentLog : Hangfire.Logging.ILog
    {
        public bool Log(Hangfire.Logging.LogLevel logLevel, Func<string>? messageFunc, Exception? exception = null) => false;
    }
}
