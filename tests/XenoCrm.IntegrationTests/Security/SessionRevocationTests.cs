using System.Diagnostics;
using System.Net;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using XenoCrm.Core.Audit;
using XenoCrm.Core.Data;
using XenoCrm.IntegrationTests.Infrastructure;

namespace XenoCrm.IntegrationTests.Security;

/// <summary>
/// Issue 11, finding 2: the role was baked into the cookie, nothing re-checked it, and the expiry slid for ever, so a
/// cookie copied before sign-out still opened <c>/settings/apikeys</c> after it and a removed admin kept admin pages.
/// Now every request checks its session's row and the current configuration.
/// </summary>
[Collection(SharedServersDefinition.Name)]
public sealed class SessionRevocationTests(SharedServers servers, RolesFixture fixture) : IClassFixture<RolesFixture>
{
    [Fact]
    public async Task CookieCopiedBeforeSignOut_IsRejectedAfterIt()
    {
        using var admin = await fixture.SignedInBrowserAsync(InProcessWeb.AdminEmail);
        var copy = admin.CookieHeader;
        using (var before = await GetWithCookieAsync(fixture.Web, "/settings/apikeys", copy))
        {
            Assert.True(before.StatusCode == HttpStatusCode.OK, $"The copied cookie answered {(int)before.StatusCode} before sign-out");
        }

        using var signOut = await admin.PostFormAsync("/account/signout", [new("__RequestVerificationToken", await RoleAccessTests.TokenAsync(admin))]);
        Assert.True(signOut.StatusCode == HttpStatusCode.Redirect, $"Sign-out answered {(int)signOut.StatusCode}");

        foreach (var path in (string[])["/settings/apikeys", "/customers"])
        {
            using var after = await GetWithCookieAsync(fixture.Web, path, copy);
            AdminPages.AssertSentToSignIn($"GET {path} with a cookie copied before sign-out", after);
        }
    }

    [Fact]
    public async Task AdminRevokesAnotherPersonsSession_OnTheSessionsPage_AndItsNextRequestFails()
    {
        using var marketer = await fixture.SignedInBrowserAsync(RolesFixture.MarketerEmail);
        using var admin = await fixture.SignedInBrowserAsync(InProcessWeb.AdminEmail);
        var session = (await fixture.SessionsOfAsync(RolesFixture.MarketerEmail)).MaxBy(s => s.Id)!;

        using var page = await admin.GetAsync("/settings/sessions");
        var html = await page.Content.ReadAsStringAsync();
        Assert.True(page.StatusCode == HttpStatusCode.OK, $"The sessions page answered an admin {(int)page.StatusCode}");
        Assert.Contains(RolesFixture.MarketerEmail, html, StringComparison.Ordinal);
        Assert.Contains($"data-session=\"{session.Label}\"", html, StringComparison.Ordinal);
        using (var before = await marketer.GetAsync("/customers"))
        {
            Assert.Equal(HttpStatusCode.OK, before.StatusCode);
        }

        using var revoke = await admin.PostFormAsync($"/settings/sessions?handler=Revoke&id={session.Id}",
            [new("__RequestVerificationToken", CrmBrowser.AntiforgeryToken(html))]);
        Assert.True(revoke.StatusCode == HttpStatusCode.Redirect, $"Revoking answered {(int)revoke.StatusCode} {revoke.Headers.Location}");

        using var after = await marketer.GetAsync("/customers");
        AdminPages.AssertSentToSignIn("GET /customers with a revoked session", after);
        Assert.DoesNotContain(await fixture.SessionsOfAsync(RolesFixture.MarketerEmail), s => s.Id == session.Id);
        var audited = Assert.Single(await fixture.AuditRowsAsync(XenoCrm.Core.Audit.AuditActions.SessionRevoked), r => r.TargetId == session.Label);
        Assert.Equal(InProcessWeb.AdminEmail, audited.Actor);
        Assert.Equal(RolesFixture.MarketerEmail, audited.TargetLabel);
        using var admins = await admin.GetAsync("/customers");
        Assert.Equal(HttpStatusCode.OK, admins.StatusCode);
    }

    [Fact]
    public async Task AdminRevokesEverySessionOfOnePerson()
    {
        using var phone = await fixture.SignedInBrowserAsync(RolesFixture.ViewerEmail);
        using var laptop = await fixture.SignedInBrowserAsync(RolesFixture.ViewerEmail);
        using var admin = await fixture.SignedInBrowserAsync(InProcessWeb.AdminEmail);

        using var revoke = await admin.PostFormAsync("/settings/sessions?handler=RevokeAll",
            [new("email", RolesFixture.ViewerEmail), new("__RequestVerificationToken", await RoleAccessTests.TokenAsync(admin))]);
        Assert.True(revoke.StatusCode == HttpStatusCode.Redirect, $"Revoking answered {(int)revoke.StatusCode} {revoke.Headers.Location}");

        foreach (var browser in (CrmBrowser[])[phone, laptop])
        {
            using var after = await browser.GetAsync("/customers");
            AdminPages.AssertSentToSignIn("GET /customers after all of the viewer's sessions were revoked", after);
        }
        Assert.Empty(await fixture.SessionsOfAsync(RolesFixture.ViewerEmail));
    }

    [Fact]
    public async Task NonAdmin_SeesAndRevokesOnlyItsOwnSessions()
    {
        using var admin = await fixture.SignedInBrowserAsync(InProcessWeb.AdminEmail);
        using var marketer = await fixture.SignedInBrowserAsync(RolesFixture.MarketerEmail);
        var adminSession = (await fixture.SessionsOfAsync(InProcessWeb.AdminEmail)).MaxBy(s => s.Id)!;

        using var page = await marketer.GetAsync("/settings/sessions");
        var html = await page.Content.ReadAsStringAsync();
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        Assert.Contains(RolesFixture.MarketerEmail, html, StringComparison.Ordinal);
        Assert.DoesNotContain(InProcessWeb.AdminEmail, html, StringComparison.Ordinal);
        Assert.DoesNotContain("handler=RevokeAll", html, StringComparison.Ordinal);

        var token = CrmBrowser.AntiforgeryToken(html);
        using var revokeOther = await marketer.PostFormAsync($"/settings/sessions?handler=Revoke&id={adminSession.Id}", [new("__RequestVerificationToken", token)]);
        using var revokeAll = await marketer.PostFormAsync("/settings/sessions?handler=RevokeAll", [new("email", InProcessWeb.AdminEmail), new("__RequestVerificationToken", token)]);
        Assert.True(RoleAccessTests.IsRefused(revokeAll), $"RevokeAll answered a marketer {(int)revokeAll.StatusCode} {revokeAll.Headers.Location}");
        using var adminAfter = await admin.GetAsync("/customers");
        Assert.Equal(HttpStatusCode.OK, adminAfter.StatusCode);

        var own = (await fixture.SessionsOfAsync(RolesFixture.MarketerEmail)).MaxBy(s => s.Id)!;
        using var revokeOwn = await marketer.PostFormAsync($"/settings/sessions?handler=Revoke&id={own.Id}", [new("__RequestVerificationToken", token)]);
        using var after = await marketer.GetAsync("/customers");
        AdminPages.AssertSentToSignIn("GET /customers after revoking one's own session", after);
    }

    [Fact]
    public async Task SessionPastItsAbsoluteLifetime_IsRejected_EvenWhileActive()
    {
        var lifetime = TimeSpan.FromSeconds(4);
        await using var web = await InProcessWeb.StartAsync(servers, new Dictionary<string, string>
        {
            ["Auth:DevelopmentSignIn"] = "true",
            ["Auth:SessionAbsoluteLifetime"] = lifetime.ToString(),
        });
        using var browser = web.NewBrowser();
        var sinceBeforeSignIn = Stopwatch.StartNew();
        await browser.SignInAsync(InProcessWeb.AdminEmail);

        var answered = 0;
        while (sinceBeforeSignIn.Elapsed < lifetime - TimeSpan.FromSeconds(1))
        {
            using var active = await browser.GetAsync("/customers");
            Assert.True(active.StatusCode == HttpStatusCode.OK, $"GET /customers {sinceBeforeSignIn.Elapsed} after sign-in answered {(int)active.StatusCode}");
            answered++;
            await Task.Delay(250);
        }
        while (sinceBeforeSignIn.Elapsed < lifetime + TimeSpan.FromSeconds(0.5))
        {
            using var keepingBusy = await browser.GetAsync("/customers");
            await Task.Delay(250);
        }

        using var expired = await browser.GetAsync("/customers");
        AdminPages.AssertSentToSignIn($"GET /customers past the absolute lifetime ({answered} requests answered before)", expired);
    }

    [Fact]
    public async Task AdminRemovedFromConfiguration_LosesAdminPagesOnTheNextRequest_AndSomeoneRemovedFromTheAllowList_IsSignedOut()
    {
        const string boss = "boss@shop.test";
        const string guest = "guest@partner.test";
        var before = await InProcessWeb.StartAsync(servers, new Dictionary<string, string>
        {
            ["Auth:DevelopmentSignIn"] = "true",
            ["Auth:AdminEmails:0"] = boss,
            ["Auth:AllowedEmails:0"] = guest,
        });
        string database, bossCookie, guestCookie;
        try
        {
            database = before.Services.GetRequiredService<IConfiguration>().GetConnectionString("Crm")!;
            using var bossBrowser = before.NewBrowser();
            await bossBrowser.SignInAsync(boss);
            using var guestBrowser = before.NewBrowser();
            await guestBrowser.SignInAsync(guest);
            bossCookie = bossBrowser.CookieHeader;
            guestCookie = guestBrowser.CookieHeader;
            foreach (var path in AdminPages.Paths)
            {
                using var response = await GetWithCookieAsync(before, path, bossCookie);
                Assert.True(response.StatusCode == HttpStatusCode.OK, $"GET {path} as the admin answered {(int)response.StatusCode} {response.Headers.Location}");
            }
        }
        finally
        {
            await before.DisposeAsync();
        }

        // The same database (sessions and data-protection keys), the configuration without boss on the admin list nor guest on the allow-list.
        await using var after = await InProcessWeb.StartAsync(servers, new Dictionary<string, string>
        {
            ["Auth:DevelopmentSignIn"] = "true",
            ["ConnectionStrings:Crm"] = database,
        });
        foreach (var path in AdminPages.Paths)
        {
            using var response = await GetWithCookieAsync(after, path, bossCookie);
            AdminPages.AssertRefusedToMember(path, response);
        }
        using (var customers = await GetWithCookieAsync(after, "/customers", bossCookie))
        {
            Assert.Equal(HttpStatusCode.OK, customers.StatusCode);
            Assert.Contains(">marketer</a>", await customers.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }
        using var guestAfter = await GetWithCookieAsync(after, "/customers", guestCookie);
        AdminPages.AssertSentToSignIn("GET /customers by someone no longer on the allow-list", guestAfter);
        await using var scope = after.Services.CreateAsyncScope();
        var changes = await scope.ServiceProvider.GetRequiredService<CrmDbContext>().AuditLog.AsNoTracking()
            .Where(r => r.Action == AuditActions.RoleChanged).ToListAsync();
        var change = Assert.Single(changes);
        Assert.Equal(("system", boss, "admin → marketer"), (change.Actor, change.TargetLabel, change.Details));
    }

    /// <summary>A request carrying a copied Cookie header, from a client that keeps no cookies of its own.</summary>
    private static async Task<HttpResponseMessage> GetWithCookieAsync(InProcessWeb web, string path, string cookieHeader)
    {
        using var client = web.Server.CreateClient();
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        request.Headers.Add("Cookie", cookieHeader);
        request.Headers.Accept.ParseAdd("text/html");
        return await client.SendAsync(request);
    }
}
