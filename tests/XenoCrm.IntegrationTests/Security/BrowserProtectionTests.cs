using System.Net;
using XenoCrm.IntegrationTests.Infrastructure;

namespace XenoCrm.IntegrationTests.Security;

/// <summary>
/// Browser protections: content security policy, no sniffing, no framing, no camera, microphone or other powerful
/// feature, no handle on windows of other origins, a session cookie scripts
/// cannot read, a sign-in that sends nobody off-site, and no redirect to the host a client named in its Host header.
/// </summary>
[Collection(SharedServersDefinition.Name)]
public sealed class BrowserProtectionTests(DevelopmentSignInFixture fixture, SharedServers servers) : IClassFixture<DevelopmentSignInFixture>
{
    [Fact]
    public async Task SignInPage_CarriesTheSecurityHeaders_ForAnAnonymousBrowser()
    {
        using var browser = fixture.Web.NewBrowser();

        using var response = await browser.GetAsync("/account/signin");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        AssertSecurityHeaders("GET /account/signin", response);
    }

    [Theory]
    [InlineData("/account/signout")]
    [InlineData("/customers")]
    [InlineData("/settings/apikeys")]
    public async Task Page_CarriesTheSecurityHeaders_ForASignedInAdmin(string path)
    {
        using var admin = await fixture.SignedInBrowserAsync(InProcessWeb.AdminEmail);

        using var response = await admin.GetAsync(path);

        Assert.True(response.StatusCode == HttpStatusCode.OK, $"GET {path} answered {(int)response.StatusCode} {response.Headers.Location}");
        AssertSecurityHeaders($"GET {path}", response);
    }

    [Theory]
    [InlineData("/customers")]
    [InlineData("/api/v1/customers")]
    [InlineData("/health/live")]
    public async Task Response_CarriesTheSecurityHeaders_AlsoWhenItIsNotAPage(string path)
    {
        using var browser = fixture.Web.NewBrowser();

        using var response = await browser.GetAsync(path);

        AssertSecurityHeaders($"GET {path} ({(int)response.StatusCode})", response);
    }

    [Fact]
    public async Task DevelopmentSignIn_SetsAnHttpOnlyLaxSessionCookie()
    {
        using var browser = fixture.Web.NewBrowser();

        using var response = await browser.SignInWithDevelopmentFormAsync(InProcessWeb.AdminEmail);

        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        var session = Assert.Single(response.Headers.GetValues("Set-Cookie"), c => c.StartsWith(CrmBrowser.SessionCookie + "=", StringComparison.Ordinal));
        Assert.Contains("httponly", session, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("samesite=lax", session, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("path=/", session, StringComparison.OrdinalIgnoreCase);
    }

    [Theory]
    [InlineData("https://evil.test/phish")]
    [InlineData("//evil.test/phish")]
    [InlineData("/\\evil.test/phish")]
    public async Task DevelopmentSignIn_RedirectsHome_WhenTheReturnUrlLeavesTheSite(string returnUrl)
    {
        using var browser = fixture.Web.NewBrowser();
        using var page = await browser.GetAsync("/account/signin");
        var token = CrmBrowser.AntiforgeryToken(await page.Content.ReadAsStringAsync());

        using var response = await browser.PostFormAsync("/account/signin?returnUrl=" + Uri.EscapeDataString(returnUrl),
            [new("Email", InProcessWeb.AdminEmail), new("__RequestVerificationToken", token)]);

        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        Assert.Equal("/", response.Headers.Location?.OriginalString);
    }

    [Fact]
    public async Task DevelopmentSignIn_GrantsNoSession_ToAnEmailOutsideTheAllowList()
    {
        using var browser = fixture.Web.NewBrowser();

        using var response = await browser.SignInWithDevelopmentFormAsync("eve@elsewhere.test");

        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        Assert.Equal("/account/denied", AdminPages.PathOf(response.Headers.Location));
        Assert.False(browser.HasSession);
    }

    [Theory]
    [InlineData("/customers")]
    [InlineData("/settings/apikeys")]
    public async Task SignInRedirect_NeverNamesTheHostTheClientSent_WhenAnyHostIsAllowed(string path)
    {
        using var browser = fixture.Web.NewBrowser();

        using var response = await browser.GetAsync("http://evil.test" + path);

        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        var location = response.Headers.Location!.OriginalString;
        Assert.StartsWith("/account/signin", location, StringComparison.Ordinal);
        Assert.DoesNotContain("evil.test", location, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ForeignHost_Gets400_WhenAllowedHostsIsSet()
    {
        await using var web = await InProcessWeb.StartAsync(servers, new Dictionary<string, string>
        {
            ["Auth:DevelopmentSignIn"] = "true",
            ["AllowedHosts"] = CrmBrowser.Origin.Host,
        });
        using var browser = web.NewBrowser();

        using var foreign = await browser.GetAsync("http://evil.test/customers");
        using var own = await browser.GetAsync("/account/signin");

        Assert.Equal(HttpStatusCode.BadRequest, foreign.StatusCode);
        Assert.Null(foreign.Headers.Location);
        Assert.Equal(HttpStatusCode.OK, own.StatusCode);
    }

    private static void AssertSecurityHeaders(string request, HttpResponseMessage response)
    {
        var csp = Header(response, "Content-Security-Policy");
        Assert.True(csp is not null, $"{request}: no Content-Security-Policy");
        var directives = csp.Split(';', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        Assert.Contains("object-src 'none'", directives);
        Assert.Contains("frame-ancestors 'none'", directives);
        Assert.Equal("nosniff", Header(response, "X-Content-Type-Options"));
        var permissions = Header(response, "Permissions-Policy");
        Assert.True(permissions is not null, $"{request}: no Permissions-Policy");
        var denied = permissions.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        foreach (var feature in (string[])["camera", "microphone", "geolocation", "payment", "usb"])
        {
            Assert.Contains($"{feature}=()", denied);
        }
        Assert.Equal("same-origin", Header(response, "Cross-Origin-Opener-Policy"));
        // Those that never send a page's full URL (its query string may hold a search) to another origin.
        Assert.Contains(Header(response, "Referrer-Policy"), (string[])["no-referrer", "same-origin", "strict-origin", "strict-origin-when-cross-origin"]);
    }

    private static string? Header(HttpResponseMessage response, string name) =>
        response.Headers.TryGetValues(name, out var values) || response.Content.Headers.TryGetValues(name, out values) ? string.Join(", ", values) : null;
}
