using System.Globalization;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using XenoCrm.Delivery;
using XenoCrm.TestServers;
using XenoCrm.ServiceDefaults.Messaging;

namespace XenoCrm.IntegrationTests.Delivery;

/// <summary>The built XenoCrm.Delivery as a child process on a RabbitMQ virtual host, with a client that sends its key.</summary>
internal sealed class DeliveryProcess : IAsyncDisposable
{
    public const string ApiKey = "test-delivery-key-5f0c9e";

    private readonly AppProcess _app;

    private DeliveryProcess(AppProcess app, HttpClient api, int seed)
    {
        _app = app;
        Api = api;
        Seed = seed;
    }

    /// <summary>Sends <c>Authorization: Bearer</c> with the right key.</summary>
    public HttpClient Api { get; }

    public int Seed { get; }

    public string Output => _app.Output;

    /// <param name="simulation">Settings of the <c>DeliverySimulation</c> section, by property name.</param>
    public static async Task<DeliveryProcess> StartAsync(string amqpUri, int seed, IReadOnlyDictionary<string, string>? simulation = null)
    {
        var environment = new Dictionary<string, string?>
        {
            ["ConnectionStrings__RabbitMq"] = amqpUri,
            ["Delivery__ApiKey"] = ApiKey,
            ["DeliverySimulation__Seed"] = seed.ToString(CultureInfo.InvariantCulture),
            ["Messaging__PublishTimeout"] = "00:00:05",
        };
        foreach (var (name, value) in simulation ?? new Dictionary<string, string>())
        {
            environment[$"DeliverySimulation__{name}"] = value;
        }
        var port = FreePort.Next();
        var app = AppProcess.Start("XenoCrm.Delivery", environment, "--urls", $"http://127.0.0.1:{port}");
        try
        {
            // Ready, not live: the bus's connection is then open, so a test's first batch does not spend its publish
            // timeout connecting to RabbitMQ. On a loaded CI machine that once took over 5 s and the batch answered 503.
            await app.WaitForHttpOkAsync($"http://127.0.0.1:{port}/health/ready", TimeSpan.FromSeconds(60));
        }
        catch
        {
            await app.DisposeAsync();
            throw;
        }
        var api = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}"), Timeout = TimeSpan.FromSeconds(60) };
        api.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", ApiKey);
        return new DeliveryProcess(app, api, seed);
    }

    public Task<HttpResponseMessage> PostBatchAsync(IEnumerable<OutboundMessage> messages) =>
        Api.PostAsJsonAsync("/api/v1/messages/batch", new { messages });

    public async Task<DeliveryStats> StatsAsync() =>
        await Api.GetFromJsonAsync<DeliveryStats>("/api/v1/messages/stats") ?? throw new InvalidOperationException("No stats.");

    public async ValueTask DisposeAsync()
    {
        Api.Dispose();
        await _app.DisposeAsync();
    }

    public static OutboundMessage Message(string id) => new(id, $"{id}@shop.test", $"Hello {id}");

    /// <summary>A consumer of the receipts queue of <paramref name="amqpUri"/>, as the Workers' receipts consumer would be.</summary>
    public static async Task<ReceiptsReader> ReadReceiptsAsync(string amqpUri)
    {
        var bus = new RabbitMqBus(amqpUri, Options.Create(new MessagingOptions()), NullLogger<RabbitMqBus>.Instance);
        return new ReceiptsReader(bus, await bus.SubscribeAsync<DeliveryReceiptsPublished>(prefetch: 100, CancellationToken.None));
    }
}

internal sealed class ReceiptsReader(RabbitMqBus bus, IMessageSubscription subscription) : IAsyncDisposable
{
    /// <summary>Every bus message read so far, each a batch of receipts.</summary>
    public List<DeliveryReceiptsPublished> Batches { get; } = [];

    /// <summary>Reads bus messages until <paramref name="count"/> receipts have arrived (or throws after <paramref name="timeout"/>).</summary>
    public async Task<List<DeliveryReceipt>> ReadAsync(int count, TimeSpan timeout)
    {
        var receipts = new List<DeliveryReceipt>();
        using var deadline = new CancellationTokenSource(timeout);
        try
        {
            while (receipts.Count < count)
            {
                var message = await subscription.Messages.ReadAsync(deadline.Token);
                var batch = MessageJson.Deserialize<DeliveryReceiptsPublished>(message.Body);
                Batches.Add(batch);
                receipts.AddRange(batch.Receipts);
                await subscription.AckAsync([message], CancellationToken.None);
            }
        }
        catch (OperationCanceledException) when (deadline.IsCancellationRequested)
        {
            throw new TimeoutException($"{receipts.Count} of {count} receipts arrived within {timeout.TotalSeconds:0} s.");
        }
        return receipts;
    }

    /// <summary>True when no bus message arrives within <paramref name="wait"/>.</summary>
    public async Task<bool> StaysEmptyAsync(TimeSpan wait)
    {
        using var deadline = new CancellationTokenSource(wait);
        try
        {
            await subscription.Messages.ReadAsync(deadline.Token);
            return false;
        }
        catch (OperationCanceledException) when (deadline.IsCancellationRequested)
        {
            return true;
        }
    }

    public async ValueTask DisposeAsync()
    {
        await subscription.DisposeAsync();
        await bus.DisposeAsync();
    }
}
