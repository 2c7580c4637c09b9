using System.Globalization;
using System.Net;
using Microsoft.AspNetCore.Http;
using XenoCrm.IntegrationTests.Infrastructure;
using XenoCrm.TestServers;

namespace XenoCrm.IntegrationTests.Security;

/// <summary>
/// <c>/metrics</c> reveals counts, durations and queue depths: with a management port it answers there and not on the
/// public port; without one, only clients of the allowed networks (loopback by default), whatever forwarding headers a
/// client writes.
/// </summary>
[Collection(SharedServersDefinition.Name)]
public sealed class MetricsAccessTests(SharedServers servers, DevelopmentSignInFixture fixture) : IClassFixture<DevelopmentSignInFixture>, IDisposable
{
    private readonly TempFolder _folder = new("xenocrm-metrics-");

    public void Dispose() => _folder.Dispose();

    [Fact]
    public async Task Metrics_AnswerOnTheManagementPortOnly_WhenOneIsConfigured()
    {
        var publicPort = FreePort.Next();
        var managementPort = FreePort.Next();
        await using var web = AppProcess.StartIn(_folder.Path, "XenoCrm.Web", EmbeddedMode(managementPort), "--urls", $"http://127.0.0.1:{publicPort}");
        await web.WaitForHttpOkAsync($"http://127.0.0.1:{publicPort}/health/live", TimeSpan.FromSeconds(60));
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(30) };

        await AssertMetricsAsync(http, new Uri($"http://127.0.0.1:{managementPort}/"), web);
        using (var onPublic = await http.GetAsync(new Uri($"http://127.0.0.1:{publicPort}/metrics")))
        {
            Assert.Equal(HttpStatusCode.NotFound, onPublic.StatusCode);
        }
        // The Host header is the client's to write: naming the management port in it opens nothing.
        using (var spoofed = new HttpRequestMessage(HttpMethod.Get, $"http://127.0.0.1:{publicPort}/metrics"))
        {
            spoofed.Headers.Host = $"127.0.0.1:{managementPort}";
            using var answer = await http.SendAsync(spoofed);
            Assert.Equal(HttpStatusCode.NotFound, answer.StatusCode);
        }
        // The management port serves the scrape and the probes, not the product.
        using (var health = await http.GetAsync(new Uri($"http://127.0.0.1:{managementPort}/health/live")))
        {
            Assert.Equal(HttpStatusCode.OK, health.StatusCode);
        }
        foreach (var path in new[] { "/account/signin", "/api/v1/customers", "/" })
        {
            using var product = await http.GetAsync(new Uri($"http://127.0.0.1:{managementPort}{path}"));
            Assert.True(product.StatusCode == HttpStatusCode.NotFound, $"GET {path} on the management port answered {(int)product.StatusCode}");
        }
        using (var signIn = await http.GetAsync(new Uri($"http://127.0.0.1:{publicPort}/account/signin")))
        {
            Assert.Equal(HttpStatusCode.OK, signIn.StatusCode);
        }
    }

    [Fact]
    public async Task Metrics_AnswerOnTheManagementPortOnly_InDeliveryToo()
    {
        // Web, Workers and Delivery share the implementation; Delivery is the one that starts without a database.
        var publicPort = FreePort.Next();
        var managementPort = FreePort.Next();
        await using var delivery = AppProcess.Start("XenoCrm.Delivery", new Dictionary<string, string?>
        {
            ["ConnectionStrings__RabbitMq"] = await servers.RabbitMq.CreateVirtualHostAsync(),
            ["Delivery__ApiKey"] = "metrics-test-delivery-key",
            ["Management__Port"] = managementPort.ToString(CultureInfo.InvariantCulture),
        }, "--urls", $"http://127.0.0.1:{publicPort}");
        await delivery.WaitForHttpOkAsync($"http://127.0.0.1:{publicPort}/health/live", TimeSpan.FromSeconds(60));
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(30) };

        await AssertMetricsAsync(http, new Uri($"http://127.0.0.1:{managementPort}/"), delivery);
        using var onPublic = await http.GetAsync(new Uri($"http://127.0.0.1:{publicPort}/metrics"));
        Assert.Equal(HttpStatusCode.NotFound, onPublic.StatusCode);
    }

    [Theory]
    [InlineData("127.0.0.1", null, StatusCodes.Status200OK)]
    [InlineData("::1", null, StatusCodes.Status200OK)]
    [InlineData("::ffff:127.0.0.1", null, StatusCodes.Status200OK)]
    [InlineData("203.0.113.7", null, StatusCodes.Status403Forbidden)]
    [InlineData("10.1.2.3", null, StatusCodes.Status403Forbidden)]
    [InlineData("203.0.113.7", "127.0.0.1", StatusCodes.Status403Forbidden)]
    public async Task Metrics_AnswerOnlyLoopback_ByDefault(string address, string? forwardedFor, int expected)
    {
        var response = await ScrapeFromAsync(fixture.Web, address, forwardedFor);

        Assert.True(response.StatusCode == expected, $"GET /metrics from {address} (forwarded for {forwardedFor}) answered {response.StatusCode}");
    }

    [Fact]
    public async Task Metrics_AnswerOnlyTheConfiguredNetworks_NotEvenLoopback_WhenTheListLeavesItOut()
    {
        await using var web = await InProcessWeb.StartAsync(servers, new Dictionary<string, string>
        {
            ["Auth:DevelopmentSignIn"] = "true",
            ["Management:AllowedNetworks:0"] = "10.0.0.0/8",
            ["Management:AllowedNetworks:1"] = "2001:db8::5",
        });

        Assert.Equal(StatusCodes.Status200OK, (await ScrapeFromAsync(web, "10.1.2.3")).StatusCode);
        Assert.Equal(StatusCodes.Status200OK, (await ScrapeFromAsync(web, "::ffff:10.9.8.7")).StatusCode);
        Assert.Equal(StatusCodes.Status200OK, (await ScrapeFromAsync(web, "2001:db8::5")).StatusCode);
        Assert.Equal(StatusCodes.Status403Forbidden, (await ScrapeFromAsync(web, "2001:db8::6")).StatusCode);
        Assert.Equal(StatusCodes.Status403Forbidden, (await ScrapeFromAsync(web, "11.0.0.1")).StatusCode);
        var loopback = await ScrapeFromAsync(web, "127.0.0.1");
        Assert.Equal(StatusCodes.Status403Forbidden, loopback.StatusCode);
        Assert.Equal("application/problem+json", loopback.ContentType);
    }

    [Fact]
    public async Task Start_StopsNamingTheSetting_WhenAnAllowedNetworkIsNotOne()
    {
        var environment = EmbeddedMode(managementPort: null);
        environment["Management__AllowedNetworks__0"] = "10.0.0.0/33";

        var (exitCode, stdOut, stdErr) = await AppProcess.RunToEndInAsync(_folder.Path, "XenoCrm.Web", environment, TimeSpan.FromSeconds(60),
            "--urls", $"http://127.0.0.1:{FreePort.Next()}");

        Assert.NotEqual(0, exitCode);
        Assert.Contains("Management:AllowedNetworks: '10.0.0.0/33'", stdOut + stdErr, StringComparison.Ordinal);
    }

    private static Dictionary<string, string?> EmbeddedMode(int? managementPort) => new()
    {
        ["ConnectionStrings__Crm"] = null,
        ["ConnectionStrings__RabbitMq"] = null,
        ["ConnectionStrings__Redis"] = null,
        ["Management__Port"] = managementPort?.ToString(CultureInfo.InvariantCulture),
    };

    private static async Task AssertMetricsAsync(HttpClient http, Uri management, AppProcess process)
    {
        using var scrape = await http.GetAsync(new Uri(management, "/metrics"));
        var text = await scrape.Content.ReadAsStringAsync();
        Assert.True(scrape.StatusCode == HttpStatusCode.OK, $"GET {management}metrics: {(int)scrape.StatusCode} {text}\n{process.Output}");
        Assert.Contains("# TYPE ", text, StringComparison.Ordinal);
    }

    /// <summary>GET /metrics with the connection's remote address set, which a client cannot choose.</summary>
    private static async Task<HttpResponse> ScrapeFromAsync(InProcessWeb web, string address, string? forwardedFor = null)
    {
        var context = await web.Server.SendAsync(http =>
        {
            http.Request.Method = HttpMethods.Get;
            http.Request.Path = "/metrics";
            http.Connection.RemoteIpAddress = IPAddress.Parse(address);
            if (forwardedFor is not null)
            {
                http.Request.Headers["X-Forwarded-For"] = forwardedFor;
            }
        });
        return context.Response;
    }
}
