using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using XenoCrm.IntegrationTests.Infrastructure;
using XenoCrm.TestServers;

namespace XenoCrm.IntegrationTests.Ingestion;

/// <summary>Owns its RabbitMQ, since it stops it.</summary>
[Collection(SharedServersDefinition.Name)]
public sealed class BrokerOutageTests(SharedServers servers)
{
    [Fact]
    public async Task Post_Answers503WithinItsBoundAndNever2xx_WhileRabbitMqIsDown_AndEveryAcceptedRecordIsStored()
    {
        await using var rabbitMq = await RabbitMqServer.StartAsync();
        await using var stack = await DistributedDeployment.StartAsync(servers.MariaDb, rabbitMq, servers.Redis);
        var accepted = new List<string>();
        var next = 0;

        async Task<(HttpStatusCode Status, TimeSpan Took)> PostOneAsync()
        {
            var id = $"r{next++}";
            var watch = Stopwatch.StartNew();
            using var response = await stack.Api.PostAsJsonAsync("/api/v1/customers", new { externalId = id, email = $"{id}@shop.test", name = id });
            if (response.StatusCode == HttpStatusCode.Accepted)
            {
                accepted.Add(id);
            }
            return (response.StatusCode, watch.Elapsed);
        }

        for (var i = 0; i < 50; i++)
        {
            Assert.Equal(HttpStatusCode.Accepted, (await PostOneAsync()).Status);
        }

        await rabbitMq.StopAsync();
        var duringOutage = new List<(HttpStatusCode Status, TimeSpan Took)>();
        for (var i = 0; i < 20; i++)
        {
            duringOutage.Add(await PostOneAsync());
        }
        Assert.All(duringOutage, r => Assert.Equal(HttpStatusCode.ServiceUnavailable, r.Status));
        // The publish timeout is 2 s in these tests; a request must never hang beyond it.
        Assert.All(duringOutage, r => Assert.True(r.Took < TimeSpan.FromSeconds(4), $"A request took {r.Took.TotalSeconds:0.0} s."));

        await rabbitMq.StartAgainAsync();
        var recovered = false;
        for (var deadline = DateTime.UtcNow.AddSeconds(60); DateTime.UtcNow < deadline && !recovered;)
        {
            var (status, _) = await PostOneAsync();
            Assert.True(status is HttpStatusCode.Accepted or HttpStatusCode.ServiceUnavailable, $"Unexpected {status} after the broker came back.");
            recovered = status == HttpStatusCode.Accepted;
            if (!recovered)
            {
                await Task.Delay(250);
            }
        }
        Assert.True(recovered, "Web never published again after RabbitMQ came back.");
        for (var i = 0; i < 50; i++)
        {
            Assert.Equal(HttpStatusCode.Accepted, (await PostOneAsync()).Status);
        }

        var acceptedList = string.Join(", ", accepted.Select(a => $"'{a}'"));
        await stack.WaitForCountAsync($"SELECT COUNT(*) FROM customers WHERE external_id IN ({acceptedList})", accepted.Count, TimeSpan.FromMinutes(2));
    }
}

/// <summary>Owns its MariaDB, since it stops it.</summary>
[Collection(SharedServersDefinition.Name)]
public sealed class DatabaseOutageTests(SharedServers servers)
{
    [Fact]
    public async Task Ingest_DeadLettersNothingAndStoresEverything_WhenMariaDbStopsDuringConsumption()
    {
        await using var mariaDb = await MariaDbServer.StartAsync();
        await using var stack = await DistributedDeployment.StartAsync(mariaDb, servers.RabbitMq, servers.Redis);
        var customers = TestData.Customers(1_000);
        var orders = TestData.Orders(20_000, customers.Count);
        await stack.StoreCustomersAsync(customers);

        var posting = TestData.PostInBatchesAsync(stack.Api, "/api/v1/orders", orders, batchSize: 100, concurrency: 4);
        await stack.WaitForAtLeastAsync("SELECT COUNT(*) FROM orders", 1_000);
        await mariaDb.StopAsync();
        // The API key was validated moments ago and is cached, so ingestion goes on accepting while the database is away.
        await posting;
        await Task.Delay(TimeSpan.FromSeconds(5));
        await mariaDb.StartAgainAsync();

        await stack.WaitForCountAsync("SELECT COUNT(*) FROM orders", 20_000);
        Assert.Equal(0, await stack.ScalarAsync("SELECT COUNT(*) FROM dead_letters"));
        Assert.Equal(0, await stack.CustomersWithWrongAggregatesAsync());
        Assert.Equal(20_000, await stack.ScalarAsync("SELECT SUM(order_count) FROM customers"));
    }
}
