using XenoCrm.IntegrationTests.Campaigns;
using XenoCrm.IntegrationTests.Infrastructure;

namespace XenoCrm.IntegrationTests.ScaleOut;

/// <summary>Two Workers processes side by side share ingestion and a campaign, with every invariant intact.</summary>
[Collection(SharedServersDefinition.Name)]
public sealed class TwoWorkersTests(SharedServers servers)
{
    [Fact]
    public async Task TwoWorkers_ShareIngestionAndACampaign_LosingAndDuplicatingNothing()
    {
        var settings = CampaignDeployment.FastRecovery(chunkSize: 200);
        // Each stored batch is logged at Debug: the evidence of which process did the work.
        settings["Logging__LogLevel__XenoCrm.Core.Messaging"] = "Debug";
        await using var stack = await DistributedDeployment.StartAsync(servers.MariaDb, servers.RabbitMq, servers.Redis, settings, workers: 2);

        var customers = TestData.Customers(6_000);
        var orders = TestData.Orders(20_000, customers.Count);
        await TestData.PostInBatchesAsync(stack.Api, "/api/v1/customers", customers, batchSize: 100);
        await stack.WaitForCountAsync("SELECT COUNT(*) FROM customers", 6_000);
        await TestData.PostInBatchesAsync(stack.Api, "/api/v1/orders", orders, batchSize: 100);
        await stack.WaitForCountAsync("SELECT COUNT(*) FROM orders", 20_000);
        Assert.Equal(0, await stack.CustomersWithWrongAggregatesAsync());
        Assert.Equal(0, await stack.ScalarAsync("SELECT COUNT(*) FROM dead_letters"));

        var campaignId = await CampaignDeployment.CreateCampaignAsync(stack);
        await CampaignDeployment.SendNowAsync(stack, campaignId);
        await CampaignDeployment.WaitForCompletedAsync(stack, campaignId);
        await CampaignDeployment.AssertDeliveredExactlyOnceAsync(stack, campaignId, 6_000);

        foreach (var worker in stack.Workers)
        {
            Assert.Contains("ingest.customers messages", worker.Output, StringComparison.Ordinal);
            Assert.Contains("ingest.orders messages", worker.Output, StringComparison.Ordinal);
            Assert.Contains("messages handed to Delivery", worker.Output, StringComparison.Ordinal);
            Assert.Contains("delivery.receipts messages", worker.Output, StringComparison.Ordinal);
        }
    }
}
