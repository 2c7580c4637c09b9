using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Json;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using RabbitMQ.Client.Exceptions;
using XenoCrm.Core.Ingestion;
using XenoCrm.IntegrationTests.Infrastructure;
using XenoCrm.ServiceDefaults.Messaging;
using XenoCrm.TestServers;

namespace XenoCrm.IntegrationTests.Messaging;

/// <summary>
/// A dropped connection is mended by RabbitMQ.Client's automatic recovery, not by a reconnect of ours. Each test owns
/// its RabbitMQ, since it drops every connection of the node.
/// </summary>
[Collection(SharedServersDefinition.Name)]
public sealed class RabbitMqRecoveryTests(SharedServers servers)
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task ASubscription_GoesOnDelivering_AfterTheConnectionDrops_AndEveryConfirmedMessageArrives()
    {
        await using var rabbitMq = await RabbitMqServer.StartAsync();
        var log = new ListLogger();
        await using var bus = new RabbitMqBus(await rabbitMq.CreateVirtualHostAsync(),
            Options.Create(new MessagingOptions { PublishTimeout = TimeSpan.FromSeconds(2) }), log);
        var publisher = new MessagePublisher(bus);
        await using var subscription = await bus.SubscribeAsync<OrdersReceived>(prefetch: 50, CancellationToken.None);
        using var stop = new CancellationTokenSource();
        var received = new ConcurrentDictionary<string, int>();
        var receivedAfterDrop = 0;
        var dropped = false;
        var reading = Task.Run(async () =>
        {
            await foreach (var message in subscription.Messages.ReadAllAsync(stop.Token))
            {
                received.AddOrUpdate(MessageJson.Deserialize<OrdersReceived>(message.Body).RequestId, 1, (_, n) => n + 1);
                if (Volatile.Read(ref dropped))
                {
                    Interlocked.Increment(ref receivedAfterDrop);
                }
                try
                {
                    await subscription.AckAsync([message], CancellationToken.None);
                }
                catch (Exception ex) when (ex is AlreadyClosedException or OperationInterruptedException or IOException)
                {
                    // Acknowledging while the connection is down: the message comes again after the recovery.
                }
            }
        });
        var confirmed = new List<string>();

        async Task PublishUntilConfirmedAsync(string id)
        {
            for (var deadline = DateTime.UtcNow + Patience; ;)
            {
                try
                {
                    await publisher.PublishAsync(new OrdersReceived(id, []), CancellationToken.None);
                    confirmed.Add(id);
                    return;
                }
                catch (MessagePublishException) when (DateTime.UtcNow < deadline)
                {
                    await Task.Delay(100);
                }
            }
        }

        for (var i = 0; i < 200; i++)
        {
            await PublishUntilConfirmedAsync($"before-{i}");
        }
        await rabbitMq.CloseAllConnectionsAsync();
        Volatile.Write(ref dropped, true);
        for (var i = 0; i < 200; i++)
        {
            await PublishUntilConfirmedAsync($"after-{i}");
        }

        for (var deadline = DateTime.UtcNow + Patience; DateTime.UtcNow < deadline && !confirmed.All(received.ContainsKey);)
        {
            await Task.Delay(50);
        }
        await stop.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => reading);

        // Nothing the broker confirmed is lost, and nothing arrives that was not published.
        Assert.All(confirmed, id => Assert.True(received.ContainsKey(id), $"{id} was confirmed and never arrived."));
        Assert.Empty(received.Keys.Except(confirmed));
        // The same subscription delivered the messages published after the drop: its channel and consumer were recovered.
        Assert.True(receivedAfterDrop >= 200, $"Only {receivedAfterDrop} messages arrived after the drop.");
        Assert.False(subscription.Messages.Completion.IsCompleted);
        Assert.Contains("The RabbitMQ connection recovered", log.Lines);
    }

    private sealed class ListLogger : ILogger<RabbitMqBus>
    {
        public ConcurrentQueue<string> Lines { get; } = new();

        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            Lines.Enqueue(formatter(state, exception));
    }

    [Fact]
    public async Task Ingestion_LosesNothing_AndStoresNothingTwice_WhenTheBrokerDropsEveryConnectionUnderLoad()
    {
        await using var rabbitMq = await RabbitMqServer.StartAsync();
        await using var stack = await DistributedDeployment.StartAsync(servers.MariaDb, rabbitMq, servers.Redis);
        var customers = TestData.Customers(500);
        var orders = TestData.Orders(10_000, customers.Count);
        await TestData.PostInBatchesAsync(stack.Api, "/api/v1/customers", customers);
        await stack.WaitForCountAsync("SELECT COUNT(*) FROM customers", customers.Count);

        // Half the orders while the connections drop, the other half after: those reach the database only through
        // connections the clients recovered, Web's to publish them and Workers' to consume them.
        var posting = PostUntilAcceptedAsync(stack.Api, "/api/v1/orders", orders[..5_000]);
        while (await stack.ScalarAsync("SELECT COUNT(*) FROM orders") < 1_000)
        {
            await Task.Delay(20);
        }
        await rabbitMq.CloseAllConnectionsAsync();
        await posting;
        await PostUntilAcceptedAsync(stack.Api, "/api/v1/orders", orders[5_000..]);

        await stack.WaitForCountAsync("SELECT COUNT(*) FROM orders", orders.Count);
        Assert.Equal(0, await stack.ScalarAsync("SELECT COUNT(*) FROM dead_letters"));
        Assert.Equal(0, await stack.CustomersWithWrongAggregatesAsync());
        Assert.Equal(orders.Count, await stack.ScalarAsync("SELECT SUM(order_count) FROM customers"));
        // Mended by the client's recovery in both processes, not by a new connection of ours.
        await AssertRecoveredAsync(stack.Workers[0]);
        await AssertRecoveredAsync(stack.Web);
    }

    private static async Task AssertRecoveredAsync(AppProcess app)
    {
        const string Recovered = "The RabbitMQ connection recovered";
        for (var deadline = DateTime.UtcNow + Patience; DateTime.UtcNow < deadline && !app.Output.Contains(Recovered, StringComparison.Ordinal);)
        {
            await Task.Delay(100);
        }
        var output = app.Output;
        Assert.True(output.Contains(Recovered, StringComparison.Ordinal),
            string.Join('\n', output.Split('\n').Where(l => l.Contains("RabbitMQ", StringComparison.Ordinal) || l.Contains("subscri", StringComparison.Ordinal))));
    }

    /// <summary>Posts batches of 100, four at a time, sending a batch again while the API answers 503 (re-sending never duplicates).</summary>
    private static Task PostUntilAcceptedAsync<T>(HttpClient api, string path, IReadOnlyList<T> records) =>
        Parallel.ForEachAsync(records.Chunk(100), new ParallelOptions { MaxDegreeOfParallelism = 4 }, async (batch, ct) =>
        {
            for (var deadline = DateTime.UtcNow + Patience; ;)
            {
                using var response = await api.PostAsJsonAsync(path, new { items = batch }, ct);
                if (response.StatusCode == HttpStatusCode.Accepted)
                {
                    return;
                }
                Assert.True(response.StatusCode == HttpStatusCode.ServiceUnavailable && DateTime.UtcNow < deadline,
                    $"POST {path} answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync(ct)}");
                await Task.Delay(100, ct);
            }
        });
}
