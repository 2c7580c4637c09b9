using System.Net;
using System.Net.Http.Json;
using System.Text;
using RabbitMQ.Client;
using XenoCrm.IntegrationTests.Infrastructure;

namespace XenoCrm.IntegrationTests.Ingestion;

[Collection(SharedServersDefinition.Name)]
public sealed class IngestionPipelineTests(SharedServers servers)
{
    private static readonly Dictionary<string, string?> FastRetries = new()
    {
        ["Messaging__RetryDelay"] = "00:00:01",
        ["Messaging__MaxAttempts"] = "30",
    };

    [Fact]
    public async Task Ingest_StoresExactRowsAndAggregates_For10kCustomersAnd50kOrders()
    {
        await using var stack = await DistributedDeployment.StartAsync(servers.MariaDb, servers.RabbitMq, servers.Redis);
        var (_, orders) = await stack.StoreCustomersAndOrdersAsync(10_000, 50_000);

        Assert.Equal(0, await stack.CustomersWithWrongAggregatesAsync());
        Assert.Equal((long)(orders.Sum(o => o.Amount) * 100), await stack.ScalarAsync("SELECT SUM(total_spend) * 100 FROM customers"));
        Assert.Equal(50_000, await stack.ScalarAsync("SELECT SUM(order_count) FROM customers"));
        Assert.Equal(0, await stack.ScalarAsync("SELECT COUNT(*) FROM dead_letters"));
    }

    [Fact]
    public async Task Ingest_NeverDuplicatesOrDoubleCounts_WhenEveryRecordIsSentTwoOrThreeTimesShuffled()
    {
        await using var stack = await DistributedDeployment.StartAsync(servers.MariaDb, servers.RabbitMq, servers.Redis, FastRetries);
        var random = new Random(42);
        var customers = TestData.Customers(2_000);
        var orders = TestData.Orders(10_000, customers.Count);
        var customerCopies = customers.SelectMany(c => Enumerable.Repeat(c, random.Next(2, 4))).OrderBy(_ => random.Next()).ToList();
        var orderCopies = orders.SelectMany(o => Enumerable.Repeat(o, random.Next(2, 4))).OrderBy(_ => random.Next()).ToList();

        // Orders race their customers on purpose: the early ones are deferred and retried.
        await Task.WhenAll(
            TestData.PostInBatchesAsync(stack.Api, "/api/v1/customers", customerCopies, batchSize: 500),
            TestData.PostInBatchesAsync(stack.Api, "/api/v1/orders", orderCopies, batchSize: 500));

        await stack.WaitForCountAsync("SELECT COUNT(*) FROM orders", 10_000);
        Assert.Equal(2_000, await stack.ScalarAsync("SELECT COUNT(*) FROM customers"));
        Assert.Equal(0, await stack.CustomersWithWrongAggregatesAsync());
        Assert.Equal(10_000, await stack.ScalarAsync("SELECT SUM(order_count) FROM customers"));
        Assert.Equal((long)(orders.Sum(o => o.Amount) * 100), await stack.ScalarAsync("SELECT SUM(total_spend) * 100 FROM customers"));
        Assert.Equal(0, await stack.ScalarAsync("SELECT COUNT(*) FROM dead_letters"));
    }

    [Fact]
    public async Task Ingest_LosesAndDuplicatesNothing_WhenTheWorkerIsKilledMidStream()
    {
        await using var stack = await DistributedDeployment.StartAsync(servers.MariaDb, servers.RabbitMq, servers.Redis, FastRetries);
        var customers = TestData.Customers(3_000);
        var orders = TestData.Orders(40_000, customers.Count);
        await stack.StoreCustomersAsync(customers);

        // Small requests make a long stream, so that the kill lands in the middle of it.
        var posting = TestData.PostInBatchesAsync(stack.Api, "/api/v1/orders", orders, batchSize: 50, concurrency: 8);
        await stack.WaitForAtLeastAsync("SELECT COUNT(*) FROM orders", 2_000);
        stack.Workers[0].Kill();
        var storedAtKill = await stack.ScalarAsync("SELECT COUNT(*) FROM orders");
        await posting;
        await stack.StartWorkerAsync();

        await stack.WaitForCountAsync("SELECT COUNT(*) FROM orders", 40_000);
        Assert.True(storedAtKill < 40_000, "The worker was killed after the stream had ended; the test proves nothing.");
        Assert.Equal(0, await stack.CustomersWithWrongAggregatesAsync());
        Assert.Equal(40_000, await stack.ScalarAsync("SELECT SUM(order_count) FROM customers"));
        Assert.Equal(0, await stack.ScalarAsync("SELECT COUNT(*) FROM dead_letters"));
    }

    [Fact]
    public async Task Ingest_DeadLettersEachPoisonMessageWithItsReason_AndStoresAllGoodOnes()
    {
        await using var stack = await DistributedDeployment.StartAsync(servers.MariaDb, servers.RabbitMq, servers.Redis, new Dictionary<string, string?>
        {
            ["Messaging__RetryDelay"] = "00:00:00.500",
            ["Messaging__MaxAttempts"] = "3",
        });
        var customers = TestData.Customers(200);
        await stack.StoreCustomersAsync(customers);

        // Published straight to the broker, past the API's validation, as a broken client or bug would.
        var factory = new ConnectionFactory { Uri = new Uri(stack.AmqpUri) };
        await using (var connection = await factory.CreateConnectionAsync())
        await using (var channel = await connection.CreateChannelAsync(new CreateChannelOptions(publisherConfirmationsEnabled: true, publisherConfirmationTrackingEnabled: true)))
        {
            var properties = new BasicProperties { Persistent = true };
            await channel.BasicPublishAsync("xenocrm", "ingest.customers", true, properties, Encoding.UTF8.GetBytes("{not json"));
            for (var i = 0; i < 10; i++)
            {
                // A name longer than its column: the database refuses it whatever the retry, so the handler always throws.
                var name = i == 5 ? new string('x', 5_000) : $"Good {i}";
                var body = $$"""{"requestId":"poison-{{i}}","customers":[{"externalId":"g{{i}}","email":"g{{i}}@shop.test","name":"{{name}}"}]}""";
                await channel.BasicPublishAsync("xenocrm", "ingest.customers", true, properties, Encoding.UTF8.GetBytes(body));
            }
        }
        // An order whose customer never arrives.
        using (var response = await stack.Api.PostAsJsonAsync("/api/v1/orders", new { externalId = "orphan-1", customerExternalId = "nobody", amount = 10 }))
        {
            Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        }
        await TestData.PostInBatchesAsync(stack.Api, "/api/v1/orders", TestData.Orders(1_000, customers.Count));

        await stack.WaitForCountAsync("SELECT COUNT(*) FROM dead_letters", 3, TimeSpan.FromMinutes(1));
        await stack.WaitForCountAsync("SELECT COUNT(*) FROM orders", 1_000);
        Assert.Equal(209, await stack.ScalarAsync("SELECT COUNT(*) FROM customers"));
        Assert.Equal(0, await stack.ScalarAsync("SELECT COUNT(*) FROM customers WHERE external_id = 'g5'"));
        Assert.Equal(1, await stack.ScalarAsync("SELECT COUNT(*) FROM dead_letters WHERE topic = 'ingest.customers' AND reason LIKE 'Malformed message%'"));
        Assert.Equal(1, await stack.ScalarAsync("SELECT COUNT(*) FROM dead_letters WHERE topic = 'ingest.customers' AND body LIKE '%g5@shop.test%' AND reason LIKE '%Data too long%'"));
        Assert.Equal(1, await stack.ScalarAsync("SELECT COUNT(*) FROM dead_letters WHERE topic = 'ingest.orders' AND body LIKE '%orphan-1%' AND body NOT LIKE '%\"o1\"%' AND reason LIKE 'Customer not found%nobody%after 3 attempts%'"));
        Assert.Equal(0, await stack.CustomersWithWrongAggregatesAsync());

        // Once the customer exists, replaying the dead letter stores the order.
        using (var response = await stack.Api.PostAsJsonAsync("/api/v1/customers", new { externalId = "nobody", email = "nobody@shop.test", name = "Late" }))
        {
            Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        }
        await stack.WaitForCountAsync("SELECT COUNT(*) FROM customers WHERE external_id = 'nobody'", 1);
        var id = await stack.ScalarAsync("SELECT id FROM dead_letters WHERE topic = 'ingest.orders'");
        var (exitCode, _, stdErr) = await stack.RunCommandAsync("dead-letters", "replay", id.ToString(System.Globalization.CultureInfo.InvariantCulture));
        Assert.True(exitCode == 0, stdErr);
        await stack.WaitForCountAsync("SELECT COUNT(*) FROM orders WHERE external_id = 'orphan-1'", 1);
        Assert.Equal(2, await stack.ScalarAsync("SELECT COUNT(*) FROM dead_letters"));
    }
}
