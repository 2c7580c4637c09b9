using System.Net.Http.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using XenoCrm.Core.Campaigns;
using XenoCrm.Core.Data;
using XenoCrm.Delivery;
using XenoCrm.IntegrationTests.Infrastructure;
using XenoCrm.TestServers;
using XenoCrm.ServiceDefaults.Messaging;

namespace XenoCrm.IntegrationTests.Campaigns;

/// <summary>Campaign sends on real servers with Web, Workers and Delivery as separate processes.</summary>
[Collection(SharedServersDefinition.Name)]
public sealed class CampaignSendTests(SharedServers servers)
{
    [Fact]
    public async Task Send_EndsEveryRecipientSentOrFailedOnce_TwentyThousandRecipients()
    {
        await using var stack = await DistributedDeployment.StartAsync(servers.MariaDb, servers.RabbitMq, servers.Redis);
        await CampaignDeployment.SeedCustomersAsync(stack, 20_000);
        var campaignId = await CampaignDeployment.CreateCampaignAsync(stack);

        await CampaignDeployment.SendNowAsync(stack, campaignId);
        await CampaignDeployment.WaitForCompletedAsync(stack, campaignId);

        await CampaignDeployment.AssertDeliveredExactlyOnceAsync(stack, campaignId, 20_000);
        Assert.Equal(20_000, await stack.ScalarAsync($"SELECT COUNT(*) FROM communication_log WHERE campaign_id = {campaignId} AND message LIKE 'Hi %, 10% off in %!'"));
        Assert.Equal(0, (await stack.Delivery.StatsAsync()).Duplicates);
    }

    [Fact]
    public async Task Send_RecoversExactlyOnce_WhenTheWorkerIsKilledMidSend()
    {
        await using var stack = await DistributedDeployment.StartAsync(servers.MariaDb, servers.RabbitMq, servers.Redis,
            CampaignDeployment.FastRecovery(chunkSize: 100), deliverySimulation: new Dictionary<string, string> { ["Latency"] = "00:00:00.250" });
        await CampaignDeployment.SeedCustomersAsync(stack, 10_000);
        var campaignId = await CampaignDeployment.CreateCampaignAsync(stack);

        await CampaignDeployment.SendNowAsync(stack, campaignId);
        await CampaignDeployment.WaitUntilTerminalAtLeastAsync(stack, campaignId, 1_000);
        stack.Workers[0].Kill();
        var terminalAtKill = await CampaignDeployment.TerminalAsync(stack, campaignId);
        Assert.True(terminalAtKill < 10_000, "The worker was killed after the send had ended; the test proves nothing.");
        await stack.StartWorkerAsync();

        await CampaignDeployment.WaitForCompletedAsync(stack, campaignId);
        await CampaignDeployment.AssertDeliveredExactlyOnceAsync(stack, campaignId, 10_000);
    }

    [Fact]
    public async Task Send_RecoversExactlyOnce_WhenRedisRestartsMidSendAndLosesEveryJob()
    {
        await using var redis = await RedisServer.StartAsync();
        await using var stack = await DistributedDeployment.StartAsync(servers.MariaDb, servers.RabbitMq, redis,
            CampaignDeployment.FastRecovery(chunkSize: 100), deliverySimulation: new Dictionary<string, string> { ["Latency"] = "00:00:00.250" });
        await CampaignDeployment.SeedCustomersAsync(stack, 10_000);
        var campaignId = await CampaignDeployment.CreateCampaignAsync(stack);

        await CampaignDeployment.SendNowAsync(stack, campaignId);
        await CampaignDeployment.WaitUntilTerminalAtLeastAsync(stack, campaignId, 1_000);
        await redis.RestartAsync();
        Assert.True(await CampaignDeployment.TerminalAsync(stack, campaignId) < 10_000, "Redis restarted after the send had ended; the test proves nothing.");

        await CampaignDeployment.WaitForCompletedAsync(stack, campaignId);
        await CampaignDeployment.AssertDeliveredExactlyOnceAsync(stack, campaignId, 10_000);
    }

    [Fact]
    public async Task Send_DeliversExactlyOnce_WhenDeliveryAnswersErrorsTimeoutsAndTooManyRequests()
    {
        await using var stack = await DistributedDeployment.StartAsync(servers.MariaDb, servers.RabbitMq, servers.Redis,
            CampaignDeployment.FastRecovery(chunkSize: 100), deliverySimulation: new Dictionary<string, string>
            {
                ["ServerErrorRate"] = "0.2",
                ["TimeoutRate"] = "0.05",
                ["TimeoutDelay"] = "00:00:03",
                ["TooManyRequestsRate"] = "0.1",
            });
        await CampaignDeployment.SeedCustomersAsync(stack, 5_000);
        var campaignId = await CampaignDeployment.CreateCampaignAsync(stack);

        await CampaignDeployment.SendNowAsync(stack, campaignId);
        await CampaignDeployment.WaitForCompletedAsync(stack, campaignId);

        await CampaignDeployment.AssertDeliveredExactlyOnceAsync(stack, campaignId, 5_000);
        // Delivery's fault rolls are seeded (42 here), so the first 15 of the 50-odd batch requests already hold
        // every kind of fault, whatever the timing.
        var stats = await stack.Delivery.StatsAsync();
        Assert.True(stats.ServerErrors > 0 && stats.TooManyRequests > 0 && stats.Timeouts > 0, $"The faults did not all happen: {stats}");
    }

    [Fact]
    public async Task Receipts_ChangeNothingTwice_WhenDuplicatedShuffledAndContradicted()
    {
        await using var stack = await DistributedDeployment.StartAsync(servers.MariaDb, servers.RabbitMq, servers.Redis,
            deliverySimulation: new Dictionary<string, string> { ["Latency"] = "00:00:00.100" });
        await CampaignDeployment.SeedCustomersAsync(stack, 3_000);
        var campaignId = await CampaignDeployment.CreateCampaignAsync(stack);
        await using var bus = new RabbitMqBus(stack.AmqpUri, Options.Create(new MessagingOptions()), NullLogger<RabbitMqBus>.Instance);
        var publisher = new MessagePublisher(bus);

        await CampaignDeployment.SendNowAsync(stack, campaignId);
        await stack.WaitForCountAsync($"SELECT COUNT(*) FROM communication_log WHERE campaign_id = {campaignId}", 3_000);
        var logIds = await LogIdsAsync(stack, campaignId);
        // While the chunks are being sent: every receipt twice, shuffled, racing Delivery's own.
        var random = new Random(5);
        var echoes = logIds.Concat(logIds).OrderBy(_ => random.Next()).Select(id => Receipt(id, attempt: 1, flip: false)).ToList();
        foreach (var batch in echoes.Chunk(250))
        {
            await publisher.PublishAsync(new DeliveryReceiptsPublished(batch), CancellationToken.None);
        }
        await CampaignDeployment.WaitForCompletedAsync(stack, campaignId);

        // After the end: contradicting receipts, receipts of an attempt that never was, and an id XenoCrm never issued.
        var late = logIds.OrderBy(_ => random.Next()).Select(id => Receipt(id, attempt: 1, flip: true))
            .Concat(logIds.Take(100).Select(id => Receipt(id, attempt: 2, flip: true)))
            .Append(new DeliveryReceipt("not-ours", DeliveryOutcome.Failed, "?", DateTime.UtcNow))
            .ToList();
        foreach (var batch in late.Chunk(500))
        {
            await publisher.PublishAsync(new DeliveryReceiptsPublished(batch), CancellationToken.None);
        }
        await WaitForReceiptsQueueDrainedAsync(stack);

        await CampaignDeployment.AssertDeliveredExactlyOnceAsync(stack, campaignId, 3_000);
        Assert.Equal(CampaignStatus.Completed, (CampaignStatus)await stack.ScalarAsync($"SELECT status FROM campaigns WHERE id = {campaignId}"));
    }

    [Fact]
    public async Task Reconciler_FinishesTheSend_WhenTheStartJobCrashedBetweenItsCommitAndTheChunkEnqueues()
    {
        await using var stack = await DistributedDeployment.StartAsync(servers.MariaDb, servers.RabbitMq, servers.Redis, CampaignDeployment.FastRecovery(chunkSize: 500));
        await CampaignDeployment.SeedCustomersAsync(stack, 4_000);
        var campaignId = await CampaignDeployment.CreateCampaignAsync(stack);

        // What a start job leaves when its process dies right after committing the snapshot: a sending
        // campaign with its audience in the log, all Pending, and no chunk job anywhere.
        await using (var db = OpenDatabase(stack))
        {
            var startedAt = DateTime.UtcNow;
            await db.Campaigns.Where(c => c.Id == campaignId)
                .ExecuteUpdateAsync(s => s.SetProperty(c => c.Status, CampaignStatus.Sending).SetProperty(c => c.StartedAt, startedAt));
            Assert.Equal(4_000, await CampaignLifecycle.StartAsync(db, campaignId, startedAt, CancellationToken.None));
        }
        Assert.Equal(4_000, await stack.ScalarAsync($"SELECT COUNT(*) FROM communication_log WHERE campaign_id = {campaignId} AND status = 0"));

        await CampaignDeployment.WaitForCompletedAsync(stack, campaignId);
        await CampaignDeployment.AssertDeliveredExactlyOnceAsync(stack, campaignId, 4_000);
        Assert.Contains("made no progress", string.Join("\n", stack.Workers.Select(w => w.Output)), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Schedule_StartsTheSendWhenDue()
    {
        await using var stack = await DistributedDeployment.StartAsync(servers.MariaDb, servers.RabbitMq, servers.Redis, CampaignDeployment.FastRecovery(chunkSize: 500));
        await CampaignDeployment.SeedCustomersAsync(stack, 1_000);
        var campaignId = await CampaignDeployment.CreateCampaignAsync(stack);

        var due = DateTimeOffset.UtcNow.AddSeconds(4);
        using (var scheduled = await stack.PostJsonAsync($"/api/v1/campaigns/{campaignId}/send", new { at = due, timeZone = "Europe/Berlin" }))
        {
            Assert.Equal(System.Net.HttpStatusCode.OK, scheduled.StatusCode);
        }
        Assert.Equal((int)CampaignStatus.Scheduled, await stack.ScalarAsync($"SELECT status FROM campaigns WHERE id = {campaignId}"));

        await CampaignDeployment.WaitForCompletedAsync(stack, campaignId, TimeSpan.FromMinutes(1));
        var startedAt = DateTime.SpecifyKind(DateTime.Parse(
            (await stack.Api.GetFromJsonAsync<System.Text.Json.JsonElement>($"/api/v1/campaigns/{campaignId}")).GetProperty("campaign").GetProperty("startedAt").GetString()!,
            System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.AdjustToUniversal), DateTimeKind.Utc);
        Assert.True(startedAt >= due.UtcDateTime, $"Started at {startedAt:O}, before it was due at {due.UtcDateTime:O}.");
        await CampaignDeployment.AssertDeliveredExactlyOnceAsync(stack, campaignId, 1_000);
    }

    [Fact]
    public async Task Cancel_MidSend_SkipsTheRestAndKeepsCountersEqualToTheRows()
    {
        await using var stack = await DistributedDeployment.StartAsync(servers.MariaDb, servers.RabbitMq, servers.Redis,
            CampaignDeployment.FastRecovery(chunkSize: 100), deliverySimulation: new Dictionary<string, string> { ["Latency"] = "00:00:00.250" });
        await CampaignDeployment.SeedCustomersAsync(stack, 5_000);
        var campaignId = await CampaignDeployment.CreateCampaignAsync(stack);

        await CampaignDeployment.SendNowAsync(stack, campaignId);
        await CampaignDeployment.WaitUntilTerminalAtLeastAsync(stack, campaignId, 500);
        using (var cancelled = await stack.Api.PostAsync($"/api/v1/campaigns/{campaignId}/cancel", null))
        {
            Assert.Equal(System.Net.HttpStatusCode.OK, cancelled.StatusCode);
        }
        // Messages already with Delivery still get their receipts; nothing else is sent.
        await stack.WaitForCountAsync($"SELECT COUNT(*) FROM communication_log WHERE campaign_id = {campaignId} AND status IN (0, 1)", 0, TimeSpan.FromMinutes(1));
        await Task.Delay(TimeSpan.FromSeconds(2));

        var skipped = await stack.ScalarAsync($"SELECT COUNT(*) FROM communication_log WHERE campaign_id = {campaignId} AND status = 4");
        Assert.True(skipped > 0, "Every recipient was sent before the cancel; the test proves nothing.");
        Assert.Equal(skipped, await stack.ScalarAsync($"SELECT skipped FROM campaigns WHERE id = {campaignId}"));
        Assert.Equal(await stack.ScalarAsync($"SELECT COUNT(*) FROM communication_log WHERE campaign_id = {campaignId} AND status = 2"),
            await stack.ScalarAsync($"SELECT sent FROM campaigns WHERE id = {campaignId}"));
        Assert.Equal(await stack.ScalarAsync($"SELECT COUNT(*) FROM communication_log WHERE campaign_id = {campaignId} AND status = 3"),
            await stack.ScalarAsync($"SELECT failed FROM campaigns WHERE id = {campaignId}"));
        Assert.Equal((int)CampaignStatus.Cancelled, await stack.ScalarAsync($"SELECT status FROM campaigns WHERE id = {campaignId}"));
        Assert.Equal(5_000 - skipped, (await stack.Delivery.StatsAsync()).Accepted);
    }

    private static DeliveryReceipt Receipt(long logId, int attempt, bool flip)
    {
        var id = DeliveryMessageId.Format(logId, attempt);
        var decision = DeliveryOutcomes.Decide(id, 42, CampaignDeployment.SuccessRate);
        var outcome = flip ? (decision.Outcome == DeliveryOutcome.Sent ? DeliveryOutcome.Failed : DeliveryOutcome.Sent) : decision.Outcome;
        return new DeliveryReceipt(id, outcome, outcome == DeliveryOutcome.Failed ? decision.Reason ?? "Flipped" : null, DateTime.UtcNow);
    }

    private static async Task<List<long>> LogIdsAsync(DistributedDeployment stack, long campaignId)
    {
        await using var db = OpenDatabase(stack);
        return await db.CommunicationLog.Where(l => l.CampaignId == campaignId).Select(l => l.Id).ToListAsync();
    }

    private static MySqlCrmDbContext OpenDatabase(DistributedDeployment stack) =>
        new(new DbContextOptionsBuilder<MySqlCrmDbContext>().UseMySql(stack.CrmConnectionString, new MySqlServerVersion(new Version(8, 0, 36))).Options);

    /// <summary>Waits until the receipts queue has no ready message, then a little longer for the batch in hand to commit.</summary>
    private static async Task WaitForReceiptsQueueDrainedAsync(DistributedDeployment stack)
    {
        var factory = new RabbitMQ.Client.ConnectionFactory { Uri = new Uri(stack.AmqpUri) };
        await using var connection = await factory.CreateConnectionAsync();
        await using var channel = await connection.CreateChannelAsync();
        var deadline = DateTime.UtcNow + TimeSpan.FromMinutes(1);
        while ((await channel.QueueDeclarePassiveAsync(RabbitMqBus.QueueOf(Topics.Receipts))).MessageCount > 0)
        {
            Assert.True(DateTime.UtcNow < deadline, "The receipts queue did not drain within a minute.");
            await Task.Delay(100);
        }
        await Task.Delay(TimeSpan.FromSeconds(2));
    }
}
