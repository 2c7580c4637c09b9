using System.Diagnostics;
using System.Globalization;
using System.Net;
using Microsoft.Extensions.DependencyInjection;
using XenoCrm.IntegrationTests.Infrastructure;
using XenoCrm.Web.ApiKeys;

namespace XenoCrm.IntegrationTests.Security;

/// <summary>Each API key has its own token bucket: one client's burst slows that client only.</summary>
[Collection(SharedServersDefinition.Name)]
public sealed class ApiRateLimitTests(SharedServers servers)
{
    private const int Burst = 5;

    [Fact]
    public async Task Api_Answers429WithRetryAfter_PastTheBurstOfOneKey_WhileAnotherKeyIsUnaffected()
    {
        await using var web = await InProcessWeb.StartAsync(servers, new Dictionary<string, string>
        {
            ["Auth:DevelopmentSignIn"] = "true",
            ["RateLimit:PermitsPerSecond"] = "5",
            ["RateLimit:Burst"] = Burst.ToString(CultureInfo.InvariantCulture),
        });
        var warmUp = await CreateKeyAsync(web, "warm-up");
        var busy = await CreateKeyAsync(web, "busy");
        var quiet = await CreateKeyAsync(web, "quiet");
        using var browser = web.NewBrowser();
        using (var first = await GetCustomersAsync(browser, warmUp))
        {
            // Compiles the endpoint and query, so that the burst below takes milliseconds, not the refill second.
            Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        }

        var statuses = new List<HttpStatusCode>();
        var watch = Stopwatch.StartNew();
        for (var i = 0; i < Burst + 3; i++)
        {
            using var response = await GetCustomersAsync(browser, busy);
            statuses.Add(response.StatusCode);
            if (i >= Burst)
            {
                Assert.True(response.StatusCode == HttpStatusCode.TooManyRequests,
                    $"Request {i + 1} with the same key answered {(int)response.StatusCode}; all: {string.Join(", ", statuses.Select(s => (int)s))} in {watch.ElapsedMilliseconds} ms");
                var retryAfter = response.Headers.RetryAfter?.Delta;
                Assert.True(retryAfter >= TimeSpan.FromSeconds(1), $"Retry-After is {response.Headers.RetryAfter}");
                Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
            }
        }
        Assert.All(statuses.Take(Burst), s => Assert.Equal(HttpStatusCode.OK, s));

        using var other = await GetCustomersAsync(browser, quiet);
        Assert.Equal(HttpStatusCode.OK, other.StatusCode);
    }

    private static async Task<HttpResponseMessage> GetCustomersAsync(CrmBrowser browser, string key)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/api/v1/customers?pageSize=1");
        request.Headers.Add("X-Api-Key", key);
        return await browser.SendAsync(request);
    }

    private static async Task<string> CreateKeyAsync(InProcessWeb web, string name)
    {
        await using var scope = web.Services.CreateAsyncScope();
        var (_, key) = await ActivatorUtilities.CreateInstance<ApiKeyStore>(scope.ServiceProvider).CreateAsync(name, "tests", default);
        return key;
    }
}
