using System.Net;
using System.Security.Cryptography;
using XenoCrm.IntegrationTests.Infrastructure;
using XenoCrm.Web.Authentication;

namespace XenoCrm.IntegrationTests.Security;

/// <summary>
/// A client address that keeps failing to authenticate is held back before anything is looked up: past the
/// documented burst (<see cref="FailedAuthenticationOptions.Limit"/> failures a minute), every attempt from it, the
/// right key or an allowed email included, is answered 429 with Retry-After, and the log says so once, as a count.
/// </summary>
public sealed class FailedAuthenticationThrottleTests(EmbeddedWebFixture fixture) : IClassFixture<EmbeddedWebFixture>
{
    private const int Attempts = 100;
    private static readonly int Burst = new FailedAuthenticationOptions().Limit;

    [Fact]
    public async Task WrongApiKeys_Answer429WithRetryAfterPastTheBurst_AndSoDoesTheRightKeyFromThatAddress()
    {
        using var attacker = fixture.ClientFrom("127.0.0.2");
        var linesBefore = Lines(fixture.Web.Output).Length;
        var wrongKeys = Enumerable.Range(0, Attempts).Select(_ => WrongKey()).ToList();

        var statuses = new List<int>();
        foreach (var key in wrongKeys)
        {
            using var response = await GetCustomersAsync(attacker, key);
            statuses.Add((int)response.StatusCode);
            if (statuses.Count > Burst)
            {
                await AssertThrottledAsync($"Wrong key {statuses.Count} (all: {string.Join(", ", statuses)})", response);
            }
        }
        Assert.All(statuses.Take(Burst), status => Assert.Equal(401, status));

        using (var rightKey = await GetCustomersAsync(attacker, fixture.ApiKey))
        {
            // Else guessing on past the limit would still tell a right key from a wrong one.
            await AssertThrottledAsync("The right key from the throttled address", rightKey);
        }
        using (var bystander = fixture.ClientFrom("127.0.0.3"))
        using (var rightKeyElsewhere = await GetCustomersAsync(bystander, fixture.ApiKey))
        {
            Assert.Equal(HttpStatusCode.OK, rightKeyElsewhere.StatusCode);
        }

        var refusal = await WaitForLogLineAsync("Refusing authentication from 127.0.0.2");
        var added = Lines(fixture.Web.Output)[linesBefore..];
        Assert.Single(added, line => line.Contains("Refusing authentication from 127.0.0.2", StringComparison.Ordinal));
        Assert.Contains($"{Burst} failed attempts", refusal, StringComparison.Ordinal);
        // Before, every wrong key wrote two lines: 200 here.
        Assert.True(added.Length <= 20, $"{Attempts} wrong keys wrote {added.Length} log lines:\n{string.Join('\n', added)}");
        Assert.DoesNotContain(wrongKeys, key => fixture.Web.Output.Contains(key[^20..], StringComparison.Ordinal));
    }

    [Fact]
    public async Task RefusedSignIns_Answer429WithRetryAfterPastTheBurst_AndSoDoesAnAllowedEmailFromThatAddress()
    {
        var cookies = new CookieContainer();
        using var attacker = fixture.ClientFrom("127.0.0.4", cookies);
        var token = await SignInFormTokenAsync(attacker);

        var statuses = new List<string>();
        for (var i = 0; i < Attempts; i++)
        {
            using var response = await PostSignInAsync(attacker, "eve@elsewhere.test", token);
            statuses.Add($"{(int)response.StatusCode} {response.Headers.Location}");
            if (i < Burst)
            {
                Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
                Assert.StartsWith("/account/denied", response.Headers.Location?.OriginalString, StringComparison.Ordinal);
            }
            else
            {
                await AssertThrottledAsync($"Sign-in {i + 1} (all: {string.Join(", ", statuses)})", response);
            }
        }

        using (var allowed = await PostSignInAsync(attacker, "admin@example.com", token))
        {
            await AssertThrottledAsync("An allowed email from the throttled address", allowed);
        }
        Assert.DoesNotContain(cookies.GetAllCookies(), cookie => cookie.Name.StartsWith(CrmBrowser.SessionCookie, StringComparison.Ordinal));

        var elsewhere = new CookieContainer();
        using var bystander = fixture.ClientFrom("127.0.0.5", elsewhere);
        using (var signIn = await PostSignInAsync(bystander, "admin@example.com", await SignInFormTokenAsync(bystander)))
        {
            Assert.Equal(HttpStatusCode.Redirect, signIn.StatusCode);
            Assert.Contains(elsewhere.GetAllCookies(), cookie => cookie.Name.StartsWith(CrmBrowser.SessionCookie, StringComparison.Ordinal));
        }
        await WaitForLogLineAsync("Refusing authentication from 127.0.0.4");
    }

    [Fact]
    public async Task WrongApiKeys_ThroughTheTrustedProxy_AreCountedPerForwardedClient()
    {
        using var proxy = fixture.ClientFrom(EmbeddedWebFixture.TrustedProxy);

        for (var i = 0; i < Burst; i++)
        {
            using var wrong = await GetCustomersAsync(proxy, WrongKey(), forwardedFor: "198.51.100.1");
            Assert.Equal(HttpStatusCode.Unauthorized, wrong.StatusCode);
        }
        using (var attacker = await GetCustomersAsync(proxy, fixture.ApiKey, forwardedFor: "198.51.100.1"))
        {
            await AssertThrottledAsync("The right key from the throttled client behind the proxy", attacker);
        }
        using (var otherClient = await GetCustomersAsync(proxy, fixture.ApiKey, forwardedFor: "198.51.100.2"))
        {
            Assert.Equal(HttpStatusCode.OK, otherClient.StatusCode);
        }
        await WaitForLogLineAsync("Refusing authentication from 198.51.100.1");
    }

    [Fact]
    public async Task SpoofedForwardedFor_FromAnUntrustedPeer_DoesNotChangeItsBucket()
    {
        using var attacker = fixture.ClientFrom("127.0.0.6");

        for (var i = 0; i < Burst; i++)
        {
            using var wrong = await GetCustomersAsync(attacker, WrongKey(), forwardedFor: $"203.0.113.{i + 1}");
            Assert.Equal(HttpStatusCode.Unauthorized, wrong.StatusCode);
        }
        using var rightKey = await GetCustomersAsync(attacker, fixture.ApiKey, forwardedFor: "203.0.113.200");

        await AssertThrottledAsync("The right key with yet another X-Forwarded-For from the untrusted peer", rightKey);
        await WaitForLogLineAsync("Refusing authentication from 127.0.0.6");
    }

    private static async Task AssertThrottledAsync(string what, HttpResponseMessage response)
    {
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.TooManyRequests, $"{what} answered {(int)response.StatusCode}: {body}");
        var retryAfter = response.Headers.RetryAfter?.Delta;
        Assert.True(retryAfter >= TimeSpan.FromSeconds(1) && retryAfter <= TimeSpan.FromMinutes(1), $"{what}: Retry-After is {response.Headers.RetryAfter}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Contains("\"status\":429", body, StringComparison.Ordinal);
    }

    private static async Task<HttpResponseMessage> GetCustomersAsync(HttpClient client, string key, string? forwardedFor = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/api/v1/customers?pageSize=1");
        request.Headers.Add("X-Api-Key", key);
        if (forwardedFor is not null)
        {
            request.Headers.Add("X-Forwarded-For", forwardedFor);
        }
        return await client.SendAsync(request);
    }

    private static async Task<string> SignInFormTokenAsync(HttpClient client)
    {
        using var page = await client.GetAsync("/account/signin");
        var html = await page.Content.ReadAsStringAsync();
        Assert.True(page.StatusCode == HttpStatusCode.OK, $"GET /account/signin answered {(int)page.StatusCode}: {html}");
        return CrmBrowser.AntiforgeryToken(html);
    }

    private static Task<HttpResponseMessage> PostSignInAsync(HttpClient client, string email, string token) =>
        client.PostAsync("/account/signin", new FormUrlEncodedContent([new("Email", email), new("__RequestVerificationToken", token)]));

    /// <summary>A key of the right shape (so that it is looked up) that no one issued.</summary>
    private static string WrongKey() =>
        $"xcrm_{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(6))}_{Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)).TrimEnd('=').Replace('+', '-').Replace('/', '_')}";

    /// <summary>The console logger writes from a queue of its own, a moment after the request that logged.</summary>
    private async Task<string> WaitForLogLineAsync(string text)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        while (true)
        {
            var line = Lines(fixture.Web.Output).FirstOrDefault(l => l.Contains(text, StringComparison.Ordinal));
            if (line is not null)
            {
                return line;
            }
            Assert.True(DateTime.UtcNow < deadline, $"The log has no line with '{text}':\n{fixture.Web.Output}");
            await Task.Delay(50);
        }
    }

    private static string[] Lines(string output) => output.Split('\n');
}
