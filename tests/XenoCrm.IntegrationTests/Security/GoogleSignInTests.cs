using System.Net;
using XenoCrm.IntegrationTests.Infrastructure;

namespace XenoCrm.IntegrationTests.Security;

/// <summary>
/// The Google sign-in, end to end against a fake Google: who gets a session, who is refused, and
/// that nothing the browser adds to the flow can change the answer.
/// </summary>
[Collection(SharedServersDefinition.Name)]
public sealed class GoogleSignInTests(GoogleSignInFixture fixture) : IClassFixture<GoogleSignInFixture>
{
    private const string ProtectedPage = "/account/signout";

    [Fact]
    public async Task GoogleSignIn_GrantsAnHttpOnlyLaxSession_ForAVerifiedUserOfAnAllowedHostedDomain()
    {
        using var browser = fixture.Web.NewBrowser();

        using var callback = await fixture.SignInWithGoogleAsync(browser, new GoogleAccount("asha@shop.test", EmailVerified: true, HostedDomain: "shop.test"));

        Assert.Equal(HttpStatusCode.Redirect, callback.StatusCode);
        Assert.Equal(ProtectedPage, callback.Headers.Location?.OriginalString);
        var session = Assert.Single(callback.Headers.GetValues("Set-Cookie"), c => c.StartsWith(CrmBrowser.SessionCookie + "=", StringComparison.Ordinal));
        Assert.Contains("httponly", session, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("samesite=lax", session, StringComparison.OrdinalIgnoreCase);
        await AssertSignedInAsync(browser);
    }

    [Fact]
    public async Task GoogleSignIn_GrantsASession_ForAnAllowedEmailWithoutHostedDomain()
    {
        using var browser = fixture.Web.NewBrowser();

        using var callback = await fixture.SignInWithGoogleAsync(browser, new GoogleAccount(GoogleSignInFixture.AllowedEmail, EmailVerified: true, HostedDomain: null));

        Assert.Equal(HttpStatusCode.Redirect, callback.StatusCode);
        Assert.Equal(ProtectedPage, callback.Headers.Location?.OriginalString);
        await AssertSignedInAsync(browser);
    }

    [Fact]
    public async Task GoogleSignIn_RefusesWithoutSession_ForADomainNotAllowed()
    {
        using var browser = fixture.Web.NewBrowser();

        using var callback = await fixture.SignInWithGoogleAsync(browser, new GoogleAccount("eve@elsewhere.test", EmailVerified: true, HostedDomain: "elsewhere.test"));

        await AssertRefusedAsync(browser, callback, "not-allowed");
    }

    [Theory]
    [InlineData("asha@shop.test", "shop.test")]
    [InlineData(GoogleSignInFixture.AllowedEmail, null)]
    public async Task GoogleSignIn_RefusesWithoutSession_WhenGoogleHasNotVerifiedTheEmail(string email, string? hostedDomain)
    {
        using var browser = fixture.Web.NewBrowser();

        using var callback = await fixture.SignInWithGoogleAsync(browser, new GoogleAccount(email, EmailVerified: false, hostedDomain));

        await AssertRefusedAsync(browser, callback, "unverified");
    }

    /// <summary>
    /// A consumer Google account can carry an address at any domain (verified by a mail to it), so
    /// only Google's <c>hd</c> proves that the allowed domain's Workspace manages the account; an
    /// <c>hd</c> the browser sends proves nothing.
    /// </summary>
    [Theory]
    [InlineData("mallory@shop.test", null)]
    [InlineData("mallory@shop.test", "evil.test")]
    [InlineData("mallory@evil.test", null)]
    [InlineData("mallory@evil.test", "evil.test")]
    public async Task GoogleSignIn_RefusesWithoutSession_WhenOnlyTheBrowserClaimsTheAllowedHostedDomain(string email, string? hostedDomain)
    {
        using var browser = fixture.Web.NewBrowser();

        using var callback = await fixture.SignInWithGoogleAsync(browser, new GoogleAccount(email, EmailVerified: true, hostedDomain), forgedQuery: "hd=shop.test");

        await AssertRefusedAsync(browser, callback, "not-allowed");
    }

    [Theory]
    [InlineData("https://evil.test/phish")]
    [InlineData("//evil.test/phish")]
    [InlineData("/\\evil.test/phish")]
    public async Task GoogleSignIn_RedirectsHome_WhenTheReturnUrlLeavesTheSite(string returnUrl)
    {
        using var browser = fixture.Web.NewBrowser();

        using var callback = await fixture.SignInWithGoogleAsync(browser, new GoogleAccount("asha@shop.test", EmailVerified: true, HostedDomain: "shop.test"), returnUrl: returnUrl);

        Assert.Equal(HttpStatusCode.Redirect, callback.StatusCode);
        Assert.Equal("/", callback.Headers.Location?.OriginalString);
    }

    [Fact]
    public async Task GoogleCallback_GrantsNoSession_InABrowserThatDidNotStartTheSignIn()
    {
        // Login CSRF: an attacker starts a sign-in to their own account and gets the victim's browser to finish it.
        using var attacker = fixture.Web.NewBrowser();
        using var victim = fixture.Web.NewBrowser();
        var account = new GoogleAccount("attacker@shop.test", EmailVerified: true, HostedDomain: "shop.test");
        string callbackUrl;
        using (var challenge = await attacker.GetAsync("/account/signin?handler=Google"))
        {
            var authorizeUrl = $"{challenge.Headers.Location}&{FakeGoogleProvider.AccountParameter}={fixture.Google.Offer(account)}";
            using var toGoogle = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false });
            using var chooser = await toGoogle.GetAsync(new Uri(authorizeUrl));
            callbackUrl = chooser.Headers.Location!.ToString();
        }

        using var callback = await victim.GetAsync(callbackUrl);

        await AssertRefusedAsync(victim, callback, "failed");
    }

    [Fact]
    public async Task HangfireDashboard_AnswersGoogleAdminsOnly_AndRedirectsOthersToDenied()
    {
        using var admin = fixture.Web.NewBrowser();
        using var member = fixture.Web.NewBrowser();
        using (var signedIn = await fixture.SignInWithGoogleAsync(admin, new GoogleAccount(InProcessWeb.AdminEmail, EmailVerified: true, HostedDomain: "shop.test")))
        {
            Assert.True(admin.HasSession, $"The admin was refused: {signedIn.Headers.Location}");
        }
        using (var signedIn = await fixture.SignInWithGoogleAsync(member, new GoogleAccount("member@shop.test", EmailVerified: true, HostedDomain: "shop.test")))
        {
            Assert.True(member.HasSession, $"The member was refused: {signedIn.Headers.Location}");
        }

        foreach (var page in AdminPages.Paths)
        {
            using var forAdmin = await admin.GetAsync(page);
            Assert.True(forAdmin.StatusCode == HttpStatusCode.OK, $"GET {page} as admin answered {(int)forAdmin.StatusCode} {forAdmin.Headers.Location}");
            using var forMember = await member.GetAsync(page);
            AdminPages.AssertRefusedToMember(page, forMember);
        }
    }

    [Fact]
    public async Task SignInPage_OffersGoogleAndNoDevelopmentSignIn_WhenGoogleIsConfiguredInTheDistributedMode()
    {
        using var browser = fixture.Web.NewBrowser();

        using var page = await browser.GetAsync("/account/signin");
        var html = await page.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        Assert.Contains("id=\"google-signin\"", html, StringComparison.Ordinal);
        Assert.DoesNotContain("id=\"development-signin\"", html, StringComparison.Ordinal);
    }

    private static async Task AssertSignedInAsync(CrmBrowser browser)
    {
        Assert.True(browser.HasSession, "No session cookie after the sign-in.");
        using var page = await browser.GetAsync(ProtectedPage);
        Assert.True(page.StatusCode == HttpStatusCode.OK, $"GET {ProtectedPage} after the sign-in answered {(int)page.StatusCode} {page.Headers.Location}");
    }

    private static async Task AssertRefusedAsync(CrmBrowser browser, HttpResponseMessage callback, string reason)
    {
        Assert.True(callback.StatusCode == HttpStatusCode.Redirect && callback.Headers.Location?.OriginalString == "/account/denied?reason=" + reason,
            $"Expected a redirect to /account/denied?reason={reason}, got {(int)callback.StatusCode} {callback.Headers.Location}");
        Assert.False(browser.HasSession, "A refused sign-in got a session cookie.");
        Assert.DoesNotContain(callback.Headers.TryGetValues("Set-Cookie", out var cookies) ? cookies : [],
            c => c.StartsWith(CrmBrowser.SessionCookie, StringComparison.Ordinal) && !c.Contains("expires=Thu, 01 Jan 1970", StringComparison.OrdinalIgnoreCase));
        using var page = await browser.GetAsync(ProtectedPage);
        AdminPages.AssertSentToSignIn($"GET {ProtectedPage} after a refused sign-in", page);
    }
}
