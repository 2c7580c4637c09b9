using System.Net;
using XenoCrm.Core.Campaigns;
using XenoCrm.IntegrationTests.Infrastructure;

namespace XenoCrm.IntegrationTests.Security;

/// <summary>
/// Issue 11, finding 7: any signed-in person could export every recipient's address and message and replay dead letters.
/// Now a viewer reads, a marketer writes, sends and exports, and dead letters and API keys are for admins.
/// </summary>
[Collection(SharedServersDefinition.Name)]
public sealed class RoleAccessTests(SharedServers servers, RolesFixture fixture) : IClassFixture<RolesFixture>
{
    [Fact]
    public async Task UnknownDefaultRole_StopsTheStart_NamingTheSetting()
    {
        var error = await Assert.ThrowsAnyAsync<Exception>(() => InProcessWeb.StartAsync(servers, new Dictionary<string, string>
        {
            ["Auth:DevelopmentSignIn"] = "true",
            ["Auth:DefaultRole"] = "owner",
        }));

        Assert.Contains("Auth:DefaultRole is 'owner'", error.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Viewer_ReadsTheLists_AndSeesItsRole_ButNoButtonItCannotUse()
    {
        using var viewer = await fixture.SignedInBrowserAsync(RolesFixture.ViewerEmail);

        foreach (var page in (string[])["/customers", "/orders", "/segments", "/campaigns", $"/campaigns/{fixture.CampaignId}", "/settings/sessions"])
        {
            using var response = await viewer.GetAsync(page);
            var html = await response.Content.ReadAsStringAsync();
            Assert.True(response.StatusCode == HttpStatusCode.OK, $"GET {page} as a viewer answered {(int)response.StatusCode} {response.Headers.Location}");
            Assert.Contains("id=\"signed-in-role\"", html, StringComparison.Ordinal);
            Assert.Contains(">viewer</a>", html, StringComparison.Ordinal);
            Assert.DoesNotContain("/segments/new", html, StringComparison.OrdinalIgnoreCase);
            Assert.DoesNotContain("handler=Export", html, StringComparison.OrdinalIgnoreCase);
            Assert.DoesNotContain("handler=Send", html, StringComparison.OrdinalIgnoreCase);
            Assert.DoesNotContain("/deadletters", html, StringComparison.OrdinalIgnoreCase);
        }
    }

    [Fact]
    public async Task Viewer_IsRefused_ExportSendScheduleCancelRetrySegmentWritesAndDeadLetters()
    {
        using var viewer = await fixture.SignedInBrowserAsync(RolesFixture.ViewerEmail);
        var token = await TokenAsync(viewer);
        var campaign = $"/campaigns/{fixture.CampaignId}";
        var segment = $"/segments/{fixture.SegmentId}";

        var failures = new List<string>();
        foreach (var path in (string[])[$"{campaign}?handler=Export", "/segments/new", $"{segment}/edit", $"{segment}/duplicate", "/campaigns/new",
                     $"{campaign}/edit", "/deadletters", "/settings/apikeys", "/system", "/hangfire"])
        {
            using var response = await viewer.GetAsync(path);
            Check($"GET {path}", response);
        }
        foreach (var (path, fields) in (IEnumerable<(string, Dictionary<string, string>)>)
                 [
                     ($"{campaign}?handler=Send", []),
                     ($"{campaign}?handler=Cancel", []),
                     ($"{campaign}?handler=RetryFailed", []),
                     ($"{campaign}?handler=Delete", []),
                     ($"{campaign}/edit", new() { ["action"] = "schedule", ["Input.Name"] = "Hello Pune", ["Input.SegmentId"] = fixture.SegmentId.ToString(System.Globalization.CultureInfo.InvariantCulture), ["Input.Template"] = "Hi" }),
                     ("/segments/new", new() { ["Input.Name"] = "Viewer's", ["Input.Rules"] = """{"op":"and","rules":[]}""" }),
                     ($"{segment}/edit", new() { ["Input.Name"] = "Renamed" }),
                     ("/deadletters?handler=Replay&id=1", []),
                     ("/deadletters?handler=ReplayAll", []),
                     ("/deadletters/discard/1", []),
                     ("/settings/apikeys", new() { ["Input.Name"] = "viewer's key" }),
                 ])
        {
            fields["__RequestVerificationToken"] = token;
            using var response = await viewer.PostFormAsync(path, fields);
            Check($"POST {path}", response);
        }

        Assert.True(failures.Count == 0, "A viewer was not refused:\n" + string.Join('\n', failures));
        Assert.Equal(CampaignStatus.Draft, await fixture.CampaignStatusAsync());

        void Check(string request, HttpResponseMessage response)
        {
            if (!IsRefused(response))
            {
                failures.Add($"{request} answered {(int)response.StatusCode} {response.Headers.Location}");
            }
        }
    }

    [Fact]
    public async Task Marketer_ExportsTheMessageLog_AndOpensTheEditors_ButNotDeadLettersOrApiKeys()
    {
        using var marketer = await fixture.SignedInBrowserAsync(RolesFixture.MarketerEmail);

        using var export = await marketer.GetAsync($"/campaigns/{fixture.CampaignId}?handler=Export");
        Assert.True(export.StatusCode == HttpStatusCode.OK, $"The export answered a marketer {(int)export.StatusCode} {export.Headers.Location}");
        Assert.Equal("text/csv", export.Content.Headers.ContentType?.MediaType);
        foreach (var page in (string[])["/segments/new", $"/segments/{fixture.SegmentId}/edit", "/campaigns/new", $"/campaigns/{fixture.CampaignId}/edit"])
        {
            using var response = await marketer.GetAsync(page);
            Assert.True(response.StatusCode == HttpStatusCode.OK, $"GET {page} as a marketer answered {(int)response.StatusCode} {response.Headers.Location}");
        }
        using var details = await marketer.GetAsync($"/campaigns/{fixture.CampaignId}");
        Assert.Contains("handler=Export", await details.Content.ReadAsStringAsync(), StringComparison.OrdinalIgnoreCase);
        foreach (var page in (string[])["/deadletters", "/settings/apikeys", "/system", "/hangfire"])
        {
            using var response = await marketer.GetAsync(page);
            AdminPages.AssertRefusedToMember(page, response);
        }
    }

    [Fact]
    public async Task Admin_OpensDeadLettersAndApiKeys()
    {
        using var admin = await fixture.SignedInBrowserAsync(InProcessWeb.AdminEmail);

        foreach (var page in (string[])["/deadletters", "/settings/apikeys", "/settings/sessions", "/system"])
        {
            using var response = await admin.GetAsync(page);
            Assert.True(response.StatusCode == HttpStatusCode.OK, $"GET {page} as an admin answered {(int)response.StatusCode} {response.Headers.Location}");
        }
    }

    /// <summary>An anti-forgery token for this browser's person, from a page every role may open, so a refusal is the role's and not a 400.</summary>
    internal static async Task<string> TokenAsync(CrmBrowser browser)
    {
        using var page = await browser.GetAsync("/account/signout");
        return CrmBrowser.AntiforgeryToken(await page.Content.ReadAsStringAsync());
    }

    internal static bool IsRefused(HttpResponseMessage response) =>
        response.StatusCode == HttpStatusCode.Forbidden
        || response.StatusCode == HttpStatusCode.Redirect && AdminPages.PathOf(response.Headers.Location) == "/account/denied";
}
