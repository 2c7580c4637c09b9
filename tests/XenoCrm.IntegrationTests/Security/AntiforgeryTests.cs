using System.Net;
using Microsoft.Extensions.DependencyInjection;
using XenoCrm.IntegrationTests.Infrastructure;
using XenoCrm.Web.ApiKeys;

namespace XenoCrm.IntegrationTests.Security;

/// <summary>Cross-site request forgery: no form POST acts without the anti-forgery token of the session's own page.</summary>
[Collection(SharedServersDefinition.Name)]
public sealed class AntiforgeryTests(DevelopmentSignInFixture fixture) : IClassFixture<DevelopmentSignInFixture>
{
    /// <summary>
    /// Pages that take POSTs without a token, and why that is harmless. Adding a POST handler that
    /// skips the token without adding it here fails <see cref="EveryPagePost_IsRefusedWith400_WithoutAnAntiforgeryToken"/>.
    /// </summary>
    private static readonly Dictionary<string, string> TokenlessPosts = new()
    {
        ["/error"] = "the exception handler re-executes a failed POST here; it only renders the error",
        ["/status/{code:int}"] = "the status-code middleware re-executes a POST's 4xx here; it only renders the status",
    };

    [Fact]
    public async Task EveryPagePost_IsRefusedWith400_WithoutAnAntiforgeryToken()
    {
        var posts = (await AppEndpoints.ListAsync(fixture.Web.Services))
            .Where(c => c.IsPage && c.Method == "POST" && !TokenlessPosts.ContainsKey(c.Route))
            // Sign-out last: if it wrongly went through, the calls after it would fail for the wrong reason.
            .OrderBy(c => c.Path == "/account/signout")
            .ToList();
        Assert.Contains(posts, c => c.Path == "/account/signout");
        Assert.Contains(posts, c => c.Path == "/settings/apikeys");
        using var admin = await fixture.SignedInBrowserAsync(InProcessWeb.AdminEmail);

        var failures = new List<string>();
        foreach (var post in posts)
        {
            // What the page's form would send, minus the token; a forged form has the session cookie and nothing else.
            using var response = await admin.PostFormAsync(post.Path,
                [new("Email", InProcessWeb.AdminEmail), new("Input.Name", "forged key"), new("id", "1")]);
            if (response.StatusCode != HttpStatusCode.BadRequest)
            {
                failures.Add($"{post}: answered {(int)response.StatusCode} {response.Headers.Location}");
            }
        }

        Assert.True(failures.Count == 0, $"POSTs without a token that were not refused with 400:\n{string.Join('\n', failures)}");
        // Refused means nothing happened: the session survived the forged sign-out, and no key was created.
        using var stillSignedIn = await admin.GetAsync("/account/signout");
        Assert.Equal(HttpStatusCode.OK, stillSignedIn.StatusCode);
        await using var scope = fixture.Web.Services.CreateAsyncScope();
        Assert.DoesNotContain(await ActivatorUtilities.CreateInstance<ApiKeyStore>(scope.ServiceProvider).ListAsync(default), k => k.Name == "forged key");
    }

    [Fact]
    public async Task PagePost_IsAccepted_WithTheTokenOfTheSessionsOwnPage()
    {
        // The control for the test above: the same kind of POST with the page's own token does act.
        using var admin = await fixture.SignedInBrowserAsync(InProcessWeb.AdminEmail);
        using var page = await admin.GetAsync("/account/signout");
        var token = CrmBrowser.AntiforgeryToken(await page.Content.ReadAsStringAsync());

        using var signOut = await admin.PostFormAsync("/account/signout", [new("__RequestVerificationToken", token)]);

        Assert.Equal(HttpStatusCode.Redirect, signOut.StatusCode);
        Assert.False(admin.HasSession, "Signing out with the page's token left the session cookie in place.");
    }

    [Fact]
    public async Task PagePost_IsRefused_WithAnotherSessionsToken()
    {
        using var attacker = await fixture.SignedInBrowserAsync(DevelopmentSignInFixture.MemberEmail);
        using var victim = await fixture.SignedInBrowserAsync(InProcessWeb.AdminEmail);
        using var attackersSignOut = await attacker.GetAsync("/account/signout");
        var attackersToken = CrmBrowser.AntiforgeryToken(await attackersSignOut.Content.ReadAsStringAsync());

        using var forged = await victim.PostFormAsync("/account/signout", [new("__RequestVerificationToken", attackersToken)]);

        Assert.Equal(HttpStatusCode.BadRequest, forged.StatusCode);
        Assert.True(victim.HasSession);
    }

    [Fact]
    public async Task HangfireDashboardPost_IsRefused_WithoutAnAntiforgeryToken()
    {
        using var admin = await fixture.SignedInBrowserAsync(InProcessWeb.AdminEmail);

        using var response = await admin.PostFormAsync("/hangfire/jobs/enqueued/delete", [new("jobs[]", "1")]);

        Assert.True(response.StatusCode is HttpStatusCode.Forbidden or HttpStatusCode.BadRequest,
            $"A forged POST to the Hangfire dashboard answered {(int)response.StatusCode}");
    }
}
