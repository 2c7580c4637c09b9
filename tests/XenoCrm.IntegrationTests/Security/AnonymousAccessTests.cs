using System.Net;
using System.Text;
using XenoCrm.IntegrationTests.Infrastructure;

namespace XenoCrm.IntegrationTests.Security;

/// <summary>Invariant 6: every page and every API call requires authentication, except sign-in, health and the error pages.</summary>
[Collection(SharedServersDefinition.Name)]
public sealed class AnonymousAccessTests(DevelopmentSignInFixture fixture) : IClassFixture<DevelopmentSignInFixture>
{
    /// <summary>
    /// The only routes an anonymous caller may reach, and why (besides the files of wwwroot, which the
    /// sign-in page needs for its styles). Mapping an endpoint anonymously without
    /// adding it here fails <see cref="EveryEndpoint_RefusesAnonymousCallers_ExceptTheDocumentedFew"/>.
    /// </summary>
    private static readonly Dictionary<string, string> AnonymousRoutes = new()
    {
        ["/account/signin"] = "the sign-in page and the development sign-in form",
        ["/account/denied"] = "where refused sign-ins land",
        ["/health/live"] = "the liveness probe of load balancers and orchestrators",
        ["/health/ready"] = "the readiness probe: each dependency's name and status, no configuration",
        ["/metrics"] = "Prometheus' scrape: counts, durations and queue depths, no configuration",
        ["/error"] = "the exception handler's page, for whoever hit the error",
        ["/status/{code:int}"] = "the status-code page (404 and friends), for whoever hit the status",
    };

    [Fact]
    public async Task EveryEndpoint_RefusesAnonymousCallers_ExceptTheDocumentedFew()
    {
        var calls = await AppEndpoints.ListAsync(fixture.Web.Services);
        // The enumeration itself must see the app, or this test would pass on nothing.
        Assert.Contains(calls, c => c.Path == "/api/v1/customers" && c.Method == "POST");
        Assert.Contains(calls, c => c.Path == "/account/signout" && c.Method == "POST");
        Assert.Contains(calls, c => c.Path.StartsWith("/hangfire", StringComparison.Ordinal));

        using var browser = fixture.Web.NewBrowser();
        var failures = new List<string>();
        var anonymousSeen = new HashSet<string>();
        foreach (var call in calls)
        {
            using var request = new HttpRequestMessage(new HttpMethod(call.Method), call.Path);
            if (call.Method is "POST" or "PUT" or "PATCH")
            {
                request.Content = call.Path.StartsWith("/api/", StringComparison.Ordinal)
                    ? new StringContent("""{"email":"anonymous@shop.test","name":"Anonymous"}""", Encoding.UTF8, "application/json")
                    : new FormUrlEncodedContent([new("Email", "anonymous@shop.test")]);
            }
            using var response = await browser.SendAsync(request);
            var status = (int)response.StatusCode;
            var location = AdminPages.PathOf(response.Headers.Location);
            var refused = call.Path.StartsWith("/api/", StringComparison.Ordinal)
                ? response.StatusCode == HttpStatusCode.Unauthorized
                : response.StatusCode == HttpStatusCode.Redirect && location == "/account/signin";
            if (AnonymousRoutes.ContainsKey(call.Route) || call.IsStaticAsset)
            {
                anonymousSeen.Add(call.Route);
                if (refused || response.StatusCode == HttpStatusCode.Unauthorized)
                {
                    failures.Add($"{call}: documented as anonymous but answered {status} {location}");
                }
            }
            else if (!refused)
            {
                failures.Add($"{call}: answered an anonymous caller {status} {response.Headers.Location} " +
                    (call.Path.StartsWith("/api/", StringComparison.Ordinal) ? "instead of 401" : "instead of a redirect to /account/signin"));
            }
            Assert.False(browser.HasSession, $"{call} gave an anonymous caller a session.");
        }

        Assert.True(failures.Count == 0, $"{failures.Count} of {calls.Count} calls:\n{string.Join('\n', failures)}");
        Assert.Contains("/account/signin", anonymousSeen);
        Assert.Contains("/health/live", anonymousSeen);
    }

    [Theory]
    [InlineData("/")]
    [InlineData("/no/such/page")]
    [InlineData("/hangfire")]
    [InlineData("/settings/apikeys")]
    [InlineData("/customers")]
    public async Task Page_RedirectsToSignIn_ForAnAnonymousBrowser(string path)
    {
        using var browser = fixture.Web.NewBrowser();

        using var response = await browser.GetAsync(path);

        AdminPages.AssertSentToSignIn($"GET {path}", response);
    }

    [Fact]
    public async Task Api_AnswersProblemDetails401_WithoutAnApiKey()
    {
        using var browser = fixture.Web.NewBrowser();

        using var response = await browser.GetAsync("/api/v1/customers");

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Contains("X-Api-Key", response.Headers.WwwAuthenticate.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Api_RefusesASessionCookie_InsteadOfAnApiKey()
    {
        // A signed-in person's browser must not become an API client: a page could otherwise post records cross-site.
        using var admin = await fixture.SignedInBrowserAsync(InProcessWeb.AdminEmail);

        using var response = await admin.GetAsync("/api/v1/customers");

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }
}
