using System.Net.Http.Headers;
using System.Net.Http.Json;
using MySqlConnector;
using XenoCrm.IntegrationTests.Delivery;
using XenoCrm.TestServers;

namespace XenoCrm.IntegrationTests.Infrastructure;

/// <summary>
/// The distributed mode as it runs in production: Web, Workers and Delivery as separate processes over
/// a fresh database, RabbitMQ virtual host and Hangfire prefix, with an API key made by the real CLI command.
/// </summary>
public sealed class DistributedDeployment : IAsyncDisposable
{
    private readonly Dictionary<string, string?> _environment;
    private readonly Dictionary<string, string?> _workerEnvironment;
    private readonly List<AppProcess> _workers = [];
    private readonly List<Uri> _workerUrls = [];
    private readonly List<AppProcess> _otherWebs = [];
    private readonly List<HttpClient> _otherApis = [];

    private DistributedDeployment(string crm, string amqp, string redis, IReadOnlyDictionary<string, string?>? workerSettings,
        IReadOnlyDictionary<string, string?>? webSettings)
    {
        CrmConnectionString = crm;
        AmqpUri = amqp;
        _environment = new()
        {
            ["ConnectionStrings__Crm"] = crm,
            ["ConnectionStrings__RabbitMq"] = amqp,
            ["ConnectionStrings__Redis"] = redis,
            ["DOTNET_ENVIRONMENT"] = "Production",
            ["ASPNETCORE_ENVIRONMENT"] = "Production",
            ["Messaging__PublishTimeout"] = "00:00:02",
            ["Auth__DevelopmentSignIn"] = "true",
            ["Auth__AllowedDomains__0"] = "shop.test",
            ["Auth__AdminEmails__0"] = "admin@shop.test",
            ["Hangfire__Prefix"] = $"xenocrm-test:{Guid.NewGuid():N}:",
            ["DataProtection__CertificatePath"] = KeyCertificates.SharedPath,
            ["DataProtection__CertificatePassword"] = KeyCertificates.Password,
        };
        _workerEnvironment = new(_environment);
        foreach (var (key, value) in workerSettings ?? new Dictionary<string, string?>())
        {
            _workerEnvironment[key] = value;
        }
        foreach (var (key, value) in webSettings ?? new Dictionary<string, string?>())
        {
            _environment[key] = value;
        }
    }

    public string CrmConnectionString { get; }
    public string AmqpUri { get; }

    /// <summary>The prefix of this stack's Hangfire keys in the shared Redis.</summary>
    public string HangfirePrefix => _environment["Hangfire__Prefix"]!;
    public AppProcess Web { get; private set; } = null!;
    public IReadOnlyList<AppProcess> Workers => _workers;
    /// <summary>Where each of <see cref="Workers"/> listens (its health probes), in the same order.</summary>
    public IReadOnlyList<Uri> WorkerUrls => _workerUrls;
    internal DeliveryProcess Delivery { get; private set; } = null!;
    public HttpClient Api { get; private set; } = null!;
    public string ApiKey { get; private set; } = "";

    /// <param name="workerSettings">Extra environment for the Workers processes, e.g. a short retry delay.</param>
    /// <param name="webSettings">Extra environment for the Web process (and the operator commands), e.g. a short retention.</param>
    /// <param name="deliverySimulation">Settings of Delivery's <c>DeliverySimulation</c> section, e.g. fault rates.</param>
    public static async Task<DistributedDeployment> StartAsync(
        MariaDbServer mariaDb, RabbitMqServer rabbitMq, RedisServer redis,
        IReadOnlyDictionary<string, string?>? workerSettings = null, int workers = 1,
        IReadOnlyDictionary<string, string>? deliverySimulation = null, int deliverySeed = 42,
        IReadOnlyDictionary<string, string?>? webSettings = null)
    {
        var stack = new DistributedDeployment(await mariaDb.CreateDatabaseAsync(), await rabbitMq.CreateVirtualHostAsync(), redis.ConnectionString, workerSettings, webSettings);
        try
        {
            stack.Delivery = await DeliveryProcess.StartAsync(stack.AmqpUri, deliverySeed, deliverySimulation);
            stack._workerEnvironment["Delivery__BaseUrl"] = stack.Delivery.Api.BaseAddress!.ToString();
            stack._workerEnvironment["Delivery__ApiKey"] = DeliveryProcess.ApiKey;
            await stack.StartWebAsync();
            for (var i = 0; i < workers; i++)
            {
                await stack.StartWorkerAsync();
            }
            return stack;
        }
        catch
        {
            await stack.DisposeAsync();
            throw;
        }
    }

    private async Task StartWebAsync()
    {
        var port = FreePort.Next();
        Web = AppProcess.Start("XenoCrm.Web", _environment, "--urls", $"http://127.0.0.1:{port}");
        await Web.WaitForHttpOkAsync($"http://127.0.0.1:{port}/health/live", TimeSpan.FromSeconds(60));
        ApiKey = await CreateApiKeyAsync("tests");
        Api = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}"), Timeout = TimeSpan.FromSeconds(30) };
        Api.DefaultRequestHeaders.Add("X-Api-Key", ApiKey);
    }

    /// <summary>
    /// One more Web instance over the same database and broker, with <paramref name="settings"/> on top of the first's;
    /// its client carries the same API key. Disposed with the stack.
    /// </summary>
    public async Task<(AppProcess Web, HttpClient Api)> StartAnotherWebAsync(IReadOnlyDictionary<string, string?>? settings = null)
    {
        var environment = new Dictionary<string, string?>(_environment);
        foreach (var (key, value) in settings ?? new Dictionary<string, string?>())
        {
            environment[key] = value;
        }
        var port = FreePort.Next();
        var web = AppProcess.Start("XenoCrm.Web", environment, "--urls", $"http://127.0.0.1:{port}");
        _otherWebs.Add(web);
        await web.WaitForHttpOkAsync($"http://127.0.0.1:{port}/health/live", TimeSpan.FromSeconds(60));
        var api = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}"), Timeout = TimeSpan.FromSeconds(30) };
        api.DefaultRequestHeaders.Add("X-Api-Key", ApiKey);
        _otherApis.Add(api);
        return (web, api);
    }

    public async Task<AppProcess> StartWorkerAsync()
    {
        var port = FreePort.Next();
        var worker = AppProcess.Start("XenoCrm.Workers", _workerEnvironment, "--urls", $"http://127.0.0.1:{port}");
        _workers.Add(worker);
        _workerUrls.Add(new Uri($"http://127.0.0.1:{port}"));
        await worker.WaitForHttpOkAsync($"http://127.0.0.1:{port}/health/live", TimeSpan.FromSeconds(60));
        return worker;
    }

    /// <summary>Runs one of Web's operator commands against this stack's database and broker.</summary>
    public async Task<(int ExitCode, string StdOut, string StdErr)> RunCommandAsync(params string[] args) =>
        await AppProcess.RunToEndAsync("XenoCrm.Web", _environment, TimeSpan.FromSeconds(60), args);

    public async Task<string> CreateApiKeyAsync(string name)
    {
        var (exitCode, stdOut, stdErr) = await RunCommandAsync("api-keys", "create", name);
        Assert.True(exitCode == 0, $"api-keys create failed: {stdErr}");
        return stdOut.Trim();
    }

    public Task<HttpResponseMessage> PostJsonAsync(string path, object body) => Api.PostAsJsonAsync(path, body);

    public async Task<HttpResponseMessage> PostRawAsync(string path, string body, string contentType = "application/json", string? apiKey = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new StringContent(body) };
        request.Content.Headers.ContentType = MediaTypeHeaderValue.Parse(contentType);
        if (apiKey is not null)
        {
            request.Headers.Add("X-Api-Key", apiKey);
        }
        using var client = new HttpClient { BaseAddress = Api.BaseAddress, Timeout = TimeSpan.FromSeconds(30) };
        return await client.SendAsync(request);
    }

    public async Task<long> ScalarAsync(string sql)
    {
        await using var connection = new MySqlConnection(CrmConnectionString);
        await connection.OpenAsync();
        await using var command = new MySqlCommand(sql, connection);
        return Convert.ToInt64(await command.ExecuteScalarAsync(), System.Globalization.CultureInfo.InvariantCulture);
    }

    /// <summary>Posts the customers through the API and waits until every one of them is stored.</summary>
    public async Task StoreCustomersAsync<T>(IReadOnlyList<T> customers)
    {
        await TestData.PostInBatchesAsync(Api, "/api/v1/customers", customers);
        await WaitForCountAsync("SELECT COUNT(*) FROM customers", customers.Count);
    }

    /// <summary>
    /// Stores <paramref name="customerCount"/> <see cref="TestData"/> customers, then <paramref name="orderCount"/> orders
    /// spread over them, waiting until every one is stored; the records, to compute what the test expects.
    /// </summary>
    public async Task<(List<CustomerIn> Customers, List<OrderIn> Orders)> StoreCustomersAndOrdersAsync(int customerCount, int orderCount)
    {
        var customers = TestData.Customers(customerCount);
        var orders = TestData.Orders(orderCount, customers.Count);
        await StoreCustomersAsync(customers);
        await TestData.PostInBatchesAsync(Api, "/api/v1/orders", orders);
        await WaitForCountAsync("SELECT COUNT(*) FROM orders", orders.Count);
        return (customers, orders);
    }

    /// <summary>Polls a COUNT until it reaches at least <paramref name="atLeast"/>: to act in the middle of a stream still being posted.</summary>
    public async Task WaitForAtLeastAsync(string sql, long atLeast)
    {
        while (await ScalarAsync(sql) < atLeast)
        {
            await Task.Delay(20);
        }
    }

    /// <summary>Polls a COUNT until it reaches the expected value; the bound only keeps a broken run from hanging.</summary>
    public async Task WaitForCountAsync(string sql, long expected, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromMinutes(3));
        long actual = -1;
        while (DateTime.UtcNow < deadline)
        {
            try
            {
                actual = await ScalarAsync(sql);
                if (actual == expected)
                {
                    return;
                }
                Assert.True(actual < expected, $"'{sql}' reached {actual}, more than the {expected} expected.");
            }
            catch (MySqlException)
            {
                // The database may be down on purpose in this test; keep polling.
            }
            await Task.Delay(200);
        }
        Assert.Fail($"'{sql}' is {actual}, expected {expected}.\n--- Web ---\n{Tail(Web.Output)}\n--- Workers ---\n{string.Join("\n---\n", _workers.Select(w => Tail(w.Output)))}");
    }

    /// <summary>The number of customers whose aggregates differ from a SUM/COUNT/MIN/MAX over their orders.</summary>
    public Task<long> CustomersWithWrongAggregatesAsync() => ScalarAsync("""
        SELECT COUNT(*) FROM customers c
        LEFT JOIN (SELECT customer_id, SUM(amount) AS spend, COUNT(*) AS n, MIN(ordered_at) AS first_at, MAX(ordered_at) AS last_at
                   FROM orders GROUP BY customer_id) a ON a.customer_id = c.id
        WHERE c.total_spend <> COALESCE(a.spend, 0) OR c.order_count <> COALESCE(a.n, 0)
           OR NOT (c.first_order_at <=> a.first_at) OR NOT (c.last_order_at <=> a.last_at)
           OR NOT (c.avg_order_value <=> ROUND(a.spend / a.n, 2))
        """);

    private static string Tail(string text) => text.Length > 6000 ? text[^6000..] : text;

    public async ValueTask DisposeAsync()
    {
        Api?.Dispose();
        foreach (var api in _otherApis)
        {
            api.Dispose();
        }
        foreach (var web in _otherWebs)
        {
            await web.DisposeAsync();
        }
        foreach (var worker in _workers)
        {
            await worker.DisposeAsync();
        }
        if (Web is not null)
        {
            await Web.DisposeAsync();
        }
        if (Delivery is not null)
        {
            await Delivery.DisposeAsync();
        }
    }
}
