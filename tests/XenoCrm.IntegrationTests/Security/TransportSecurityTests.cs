using System.Net;
using System.Text.RegularExpressions;
using XenoCrm.IntegrationTests.Infrastructure;

namespace XenoCrm.IntegrationTests.Security;

/// <summary>
/// Behind a reverse proxy that terminates TLS: a request the trusted proxy says came over HTTPS gets <c>Secure</c>,
/// <c>__Host-</c> cookies and HSTS; the same headers from any other peer change nothing, so plain HTTP keeps working.
/// </summary>
public sealed partial class TransportSecurityTests(EmbeddedWebFixture fixture) : IClassFixture<EmbeddedWebFixture>
{
    // Not a loopback name: the HSTS middleware leaves localhost and 127.0.0.1 out.
    private const string PublicHost = "crm.shop.test";

    [Fact]
    public async Task SignIn_ThroughTheTrustedProxyOverHttps_SetsSecureHostPrefixedCookies_AndHsts()
    {
        using var proxy = fixture.ClientFrom(EmbeddedWebFixture.TrustedProxy);

        using var page = await SendAsync(proxy, HttpMethod.Get, "/account/signin", cookie: null);
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        Assert.Contains("max-age=31536000", string.Join(", ", page.Headers.GetValues("Strict-Transport-Security")), StringComparison.Ordinal);
        var antiforgery = SetCookie(page, "__Host-xenocrm.antiforgery");
        AssertHostOnlySecure(antiforgery);

        using var signIn = await SendAsync(proxy, HttpMethod.Post, "/account/signin", Pair(antiforgery), Form(await page.Content.ReadAsStringAsync()));
        Assert.True(signIn.StatusCode == HttpStatusCode.Redirect, $"Signing in answered {(int)signIn.StatusCode}: {await signIn.Content.ReadAsStringAsync()}");
        Assert.DoesNotContain(signIn.Headers.Location!.OriginalString, PublicHost, StringComparison.Ordinal);
        var session = SetCookie(signIn, "__Host-xenocrm.session");
        AssertHostOnlySecure(session);
        Assert.Contains("httponly", session, StringComparison.OrdinalIgnoreCase);

        using var customers = await SendAsync(proxy, HttpMethod.Get, "/customers", Pair(session));
        Assert.Equal(HttpStatusCode.OK, customers.StatusCode);
        // Over HTTPS only the prefixed cookie counts: one planted without the prefix (by a sibling subdomain, or over plain HTTP) is ignored.
        using var unprefixed = await SendAsync(proxy, HttpMethod.Get, "/customers", Pair(session).Replace("__Host-", "", StringComparison.Ordinal));
        Assert.Equal(HttpStatusCode.Redirect, unprefixed.StatusCode);
    }

    [Fact]
    public async Task ForwardedHttps_FromAnUntrustedPeer_ChangesNothing()
    {
        using var peer = fixture.ClientFrom("127.0.0.11");

        using var page = await SendAsync(peer, HttpMethod.Get, "/account/signin", cookie: null);
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        Assert.False(page.Headers.Contains("Strict-Transport-Security"), "HSTS over plain HTTP");
        var antiforgery = SetCookie(page, "xenocrm.antiforgery");
        Assert.DoesNotContain("secure", antiforgery, StringComparison.OrdinalIgnoreCase);

        using var signIn = await SendAsync(peer, HttpMethod.Post, "/account/signin", Pair(antiforgery), Form(await page.Content.ReadAsStringAsync()));
        Assert.Equal(HttpStatusCode.Redirect, signIn.StatusCode);
        var session = SetCookie(signIn, "xenocrm.session");
        Assert.DoesNotContain("secure", session, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain(signIn.Headers.GetValues("Set-Cookie"), c => c.StartsWith("__Host-", StringComparison.Ordinal));
    }

    /// <summary>A request as the proxy passes it on: the public Host, and the client's scheme and address in X-Forwarded-*.</summary>
    private static async Task<HttpResponseMessage> SendAsync(HttpClient client, HttpMethod method, string path, string? cookie, HttpContent? content = null)
    {
        using var request = new HttpRequestMessage(method, path) { Content = content };
        request.Headers.Host = PublicHost;
        request.Headers.Add("X-Forwarded-Proto", "https");
        request.Headers.Add("X-Forwarded-For", "198.51.100.77");
        request.Headers.Accept.ParseAdd("text/html");
        if (cookie is not null)
        {
            request.Headers.Add("Cookie", cookie);
        }
        return await client.SendAsync(request);
    }

    private static FormUrlEncodedContent Form(string signInPage) =>
        new([new("Email", "admin@example.com"), new("__RequestVerificationToken", CrmBrowser.AntiforgeryToken(signInPage))]);

    private static string SetCookie(HttpResponseMessage response, string name)
    {
        var all = response.Headers.TryGetValues("Set-Cookie", out var values) ? values.ToList() : [];
        var cookie = all.FirstOrDefault(c => c.StartsWith(name + "=", StringComparison.Ordinal));
        Assert.True(cookie is not null, $"No {name} cookie in: {string.Join(" | ", all)}");
        return cookie;
    }

    /// <summary>The name=value part of a Set-Cookie header, as a Cookie header sends it back.</summary>
    private static string Pair(string setCookie) => setCookie.Split(';')[0];

    private static void AssertHostOnlySecure(string setCookie)
    {
        Assert.Contains("secure", setCookie, StringComparison.OrdinalIgnoreCase);
        Assert.Matches(PathRoot(), setCookie);
        Assert.DoesNotContain("domain=", setCookie, StringComparison.OrdinalIgnoreCase);
    }

    [GeneratedRegex("(?i);\\s*path=/(;|$)")]
    private static partial Regex PathRoot();
}
