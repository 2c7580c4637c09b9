using System.Diagnostics;
using System.Net;
using System.Text.Json;
using XenoCrm.IntegrationTests.Infrastructure;
using XenoCrm.TestServers;

namespace XenoCrm.IntegrationTests.Operations;

/// <summary>The probes of the three processes, on the distributed deployment. Owns its RabbitMQ, since it stops it.</summary>
[Collection(SharedServersDefinition.Name)]
public sealed class HealthTests(SharedServers servers)
{
    private static readonly TimeSpan ReadyBound = TimeSpan.FromSeconds(2);

    [Fact]
    public async Task Ready_Answers503NamingRabbitMqWithinTwoSeconds_WhileRabbitMqIsDown_AndRecovers()
    {
        await using var rabbitMq = await RabbitMqServer.StartAsync();
        await using var stack = await DistributedDeployment.StartAsync(servers.MariaDb, rabbitMq, servers.Redis);
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(30) };
        var processes = new (string Name, Uri Url, string[] Checks)[]
        {
            ("Web", stack.Api.BaseAddress!, ["database", "rabbitmq", "hangfire"]),
            ("Workers", stack.WorkerUrls[0], ["database", "rabbitmq", "hangfire"]),
            ("Delivery", stack.Delivery.Api.BaseAddress!, ["rabbitmq"]),
        };
        string[] secrets = [stack.CrmConnectionString, stack.AmqpUri, servers.Redis.ConnectionString, "127.0.0.1", "amqp",
            rabbitMq.Port.ToString(System.Globalization.CultureInfo.InvariantCulture), servers.MariaDb.Port.ToString(System.Globalization.CultureInfo.InvariantCulture)];

        foreach (var (name, url, checks) in processes)
        {
            var live = await GetAsync(http, url, "/health/live");
            Assert.True(live.Status == HttpStatusCode.OK, $"{name} /health/live: {(int)live.Status} {live.Body}");
            var ready = await GetAsync(http, url, "/health/ready");
            Assert.True(ready.Status == HttpStatusCode.OK, $"{name} /health/ready: {(int)ready.Status} {ready.Body}");
            Assert.Equal(checks.Order(), ready.Checks.Keys.Order());
            Assert.All(ready.Checks, c => Assert.Equal("Healthy", c.Value));
        }

        await rabbitMq.StopAsync();
        var watch = Stopwatch.StartNew();
        var answers = await Task.WhenAll(processes.Select(async p => (p.Name, Answer: await GetAsync(http, p.Url, "/health/ready"), Took: watch.Elapsed)));
        foreach (var (name, answer, took) in answers)
        {
            Assert.True(answer.Status == HttpStatusCode.ServiceUnavailable, $"{name} /health/ready with RabbitMQ down: {(int)answer.Status} {answer.Body}");
            Assert.True(took < ReadyBound, $"{name} /health/ready took {took.TotalSeconds:0.00} s with RabbitMQ down.");
            Assert.Equal("Unhealthy", answer.OverallStatus);
            Assert.Equal("Unhealthy", answer.Checks["rabbitmq"]);
            Assert.All(answer.Checks.Where(c => c.Key != "rabbitmq"), c => Assert.Equal("Healthy", c.Value));
            Assert.All(secrets, secret => Assert.DoesNotContain(secret, answer.Body, StringComparison.OrdinalIgnoreCase));
            // Live checks nothing: a broker outage must not get the process restarted.
            Assert.Equal(HttpStatusCode.OK, (await GetAsync(http, processes.Single(p => p.Name == name).Url, "/health/live")).Status);
        }

        await rabbitMq.StartAgainAsync();
        foreach (var (name, url, _) in processes)
        {
            var deadline = Stopwatch.StartNew();
            Answer ready;
            while ((ready = await GetAsync(http, url, "/health/ready")).Status != HttpStatusCode.OK)
            {
                Assert.True(deadline.Elapsed < TimeSpan.FromSeconds(30), $"{name} /health/ready stayed {(int)ready.Status} {ready.Body} after RabbitMQ came back.");
                await Task.Delay(200);
            }
            Assert.Equal("Healthy", ready.Checks["rabbitmq"]);
        }
    }

    internal sealed record Answer(HttpStatusCode Status, string Body, string OverallStatus, IReadOnlyDictionary<string, string> Checks);

    /// <summary>GETs a probe and reads its body, which must be exactly <c>{"status": …, "checks": {name: status}}</c>.</summary>
    internal static async Task<Answer> GetAsync(HttpClient http, Uri baseUrl, string path)
    {
        using var response = await http.GetAsync(new Uri(baseUrl, path));
        var body = await response.Content.ReadAsStringAsync();
        using var json = JsonDocument.Parse(body);
        Assert.Equal(["checks", "status"], json.RootElement.EnumerateObject().Select(p => p.Name).Order());
        var checks = json.RootElement.GetProperty("checks").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetString()!);
        string[] statuses = ["Healthy", "Degraded", "Unhealthy"];
        Assert.All(checks.Values.Append(json.RootElement.GetProperty("status").GetString()), s => Assert.Contains(s, statuses));
        return new Answer(response.StatusCode, body, json.RootElement.GetProperty("status").GetString()!, checks);
    }
}

/// <summary>The embedded mode's probes: SQLite and Hangfire in memory, no broker.</summary>
public sealed class EmbeddedHealthTests : IDisposable
{
    private readonly string _folder = Directory.CreateDirectory(Path.Combine(Path.GetTempPath(), "xenocrm-health-" + Guid.NewGuid().ToString("N"))).FullName;

    [Fact]
    public async Task Ready_Answers200_CheckingSqliteAndHangfire_InTheEmbeddedMode()
    {
        var port = FreePort.Next();
        await using var web = AppProcess.StartIn(_folder, "XenoCrm.Web", new Dictionary<string, string?>
        {
            ["ConnectionStrings__Crm"] = null,
            ["ConnectionStrings__RabbitMq"] = null,
            ["ConnectionStrings__Redis"] = null,
        }, "--urls", $"http://127.0.0.1:{port}");
        await web.WaitForHttpOkAsync($"http://127.0.0.1:{port}/health/live", TimeSpan.FromSeconds(60));
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(30) };

        var ready = await HealthTests.GetAsync(http, new Uri($"http://127.0.0.1:{port}"), "/health/ready");

        Assert.True(ready.Status == HttpStatusCode.OK, $"/health/ready: {(int)ready.Status} {ready.Body}");
        Assert.Equal(["database", "hangfire"], ready.Checks.Keys.Order());
        Assert.All(ready.Checks, c => Assert.Equal("Healthy", c.Value));
    }

    public void Dispose() => Directory.Delete(_folder, recursive: true);
}
