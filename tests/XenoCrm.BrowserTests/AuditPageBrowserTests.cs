using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.Playwright;
using Xunit.Abstractions;
using static Microsoft.Playwright.Assertions;

namespace XenoCrm.BrowserTests;

/// <summary>
/// What an admin does in Chromium, then finds on Settings → Audit log with their email and address: signing in,
/// creating and revoking an API key, sending a campaign and retrying its failures, exporting its message log,
/// cancelling a scheduled one (scheduled through the API, so recorded as the key), signing out and in again; and the
/// page filtered by action, and read on a phone. Dead letters are left out here: the embedded mode makes one only
/// after a minute of retries; the integration tests replay and discard them.
/// </summary>
public sealed class AuditPageBrowserTests(EmbeddedCrm crm, ITestOutputHelper output) : IClassFixture<EmbeddedCrm>
{
    private const string Address = "127.0.0.1";
    private static readonly TimeSpan _sendTimeout = TimeSpan.FromSeconds(90);

    [Fact]
    public async Task AuditPage_ListsWhatTheAdminDid_WithTheirEmailAndAddress_AndFiltersByAction()
    {
        await using var browser = await BrowserSession.OpenAsync(crm, nameof(AuditPage_ListsWhatTheAdminDid_WithTheirEmailAndAddress_AndFiltersByAction), output);
        var page = browser.Page;
        await browser.RunAsync(async () =>
        {
            await browser.SignInAsync(EmbeddedCrm.AdminEmail);
            var key = await browser.CreateApiKeyAsync("audit-test");
            var keyActor = "api-key:" + key.Split('_')[1];
            var sentId = await CreateCampaignAsync(key, "Audit send");
            var scheduledId = await CreateCampaignAsync(key, "Audit schedule");
            await ApiAsync(key, $"/api/v1/campaigns/{scheduledId}/send", new { at = DateTimeOffset.UtcNow.AddDays(3), timeZone = "Europe/London" });

            await page.GotoAsync("/settings/apikeys");
            await page.Locator("#api-keys tbody tr").Filter(new() { HasText = "audit-test" }).GetByRole(AriaRole.Link, new() { Name = "Revoke…" }).ClickAsync();
            await page.GetByRole(AriaRole.Button, new() { Name = "Revoke key", Exact = true }).ClickAsync();
            await Expect(page.GetByRole(AriaRole.Status)).ToContainTextAsync("Revoked “audit-test”");

            await page.GotoAsync($"/campaigns/{sentId}");
            await page.GetByRole(AriaRole.Button, new() { Name = "Send now", Exact = true }).ClickAsync();
            await Expect(page.GetByRole(AriaRole.Status)).ToContainTextAsync("Sending “Audit send”");
            var timeout = new LocatorAssertionsToHaveTextOptions { Timeout = (float)_sendTimeout.TotalMilliseconds };
            await Expect(page.Locator("#campaign-status")).ToHaveTextAsync("Completed", timeout);
            // The poll shows "Completed" first and then reloads the finished page; act on the reloaded one.
            await Expect(page.Locator("#confirm-cancel")).ToHaveCountAsync(0, new() { Timeout = timeout.Timeout });
            var download = await page.RunAndWaitForDownloadAsync(() => page.Locator("#export-messages").ClickAsync());
            Assert.EndsWith(".csv", download.SuggestedFilename, StringComparison.Ordinal);
            await page.GetByRole(AriaRole.Button, new() { Name = "Retry failed", Exact = true }).ClickAsync();
            await page.Locator("#confirm-retry").GetByRole(AriaRole.Button, new() { NameRegex = new Regex("^Resend ") }).ClickAsync();
            await Expect(page.GetByRole(AriaRole.Status)).ToContainTextAsync("Resending the failed messages");

            await page.GotoAsync($"/campaigns/{scheduledId}");
            await page.Locator("#campaign-actions").GetByRole(AriaRole.Button, new() { Name = "Cancel campaign" }).ClickAsync();
            await page.Locator("#confirm-cancel").GetByRole(AriaRole.Button, new() { Name = "Cancel campaign" }).ClickAsync();
            await Expect(page.GetByRole(AriaRole.Status)).ToContainTextAsync("Cancelled “Audit schedule”");

            await page.GetByRole(AriaRole.Button, new() { Name = "Sign out", Exact = true }).ClickAsync();
            await Expect(page).ToHaveURLAsync($"{crm.BaseUrl}/account/signin");
            await browser.SignInAsync(EmbeddedCrm.AdminEmail);

            await page.GotoAsync("/settings/apikeys");
            await page.GetByRole(AriaRole.Link, new() { Name = "Audit log", Exact = true }).ClickAsync();
            await Expect(page).ToHaveURLAsync($"{crm.BaseUrl}/settings/audit");
            await browser.ScreenshotAsync("audit-log");
            var rows = page.Locator("#audit-log tbody tr");
            foreach (var (action, target) in new[]
            {
                ("api-key-created", "audit-test"), ("api-key-revoked", "audit-test"),
                ("campaign-sent", "Audit send"), ("export", "Audit send"), ("campaign-retried", "Audit send"),
                ("campaign-cancelled", "Audit schedule"),
            })
            {
                // The key the fixture made with the operator command is there too, as made by "cli".
                var row = page.Locator($"#audit-log tbody tr[data-action='{action}']").Filter(new() { HasText = target });
                await Expect(row).ToHaveCountAsync(1);
                await Expect(row.Locator("[data-field='actor']")).ToHaveTextAsync(EmbeddedCrm.AdminEmail);
                await Expect(row.Locator("[data-field='address']")).ToHaveTextAsync(Address);
                await Expect(row.Locator("[data-field='target']")).ToContainTextAsync(target);
            }
            var scheduled = page.Locator("#audit-log tbody tr[data-action='campaign-scheduled']");
            await Expect(scheduled).ToHaveCountAsync(1);
            await Expect(scheduled.Locator("[data-field='actor']")).ToHaveTextAsync(keyActor);
            await Expect(scheduled.Locator("[data-field='details']")).ToContainTextAsync("(Europe/London)");
            var signIns = page.Locator("#audit-log tbody tr[data-action='sign-in']");
            await Expect(signIns).ToHaveCountAsync(2);
            await Expect(signIns.Locator("[data-field='actor']")).ToHaveTextAsync([EmbeddedCrm.AdminEmail, EmbeddedCrm.AdminEmail]);
            await Expect(signIns.Locator("[data-field='address']")).ToHaveTextAsync([Address, Address]);
            var signOut = page.Locator("#audit-log tbody tr[data-action='sign-out']");
            await Expect(signOut.Locator("[data-field='actor']")).ToHaveTextAsync(EmbeddedCrm.AdminEmail);
            // Newest first: the second sign-in is the latest entry.
            await Expect(rows.First).ToHaveAttributeAsync("data-action", "sign-in");
            Assert.DoesNotContain(key, await page.ContentAsync(), StringComparison.Ordinal);

            await page.GetByLabel("Action", new() { Exact = true }).SelectOptionAsync("export");
            await page.GetByRole(AriaRole.Button, new() { Name = "Filter", Exact = true }).ClickAsync();
            await Expect(page).ToHaveURLAsync(new System.Text.RegularExpressions.Regex("action=export"));
            await Expect(rows).ToHaveCountAsync(1);
            await Expect(rows.First).ToHaveAttributeAsync("data-action", "export");
            await browser.ScreenshotAsync("filtered-by-action");

            // On a phone the person and the address stack under the time, and nothing is wider than the screen.
            await page.SetViewportSizeAsync(390, 844);
            await page.GetByRole(AriaRole.Link, new() { Name = "Clear", Exact = true }).ClickAsync();
            await Expect(rows.First.Locator("td").First).ToContainTextAsync(EmbeddedCrm.AdminEmail);
            await Expect(rows.First.Locator("td").First).ToContainTextAsync(Address);
            Assert.True(await page.EvaluateAsync<bool>("document.documentElement.scrollWidth <= window.innerWidth"), "The audit page is wider than a phone's screen.");
            await browser.ScreenshotAsync("phone");
        });
    }

    private async Task<long> CreateCampaignAsync(string key, string name)
    {
        var segment = await ApiAsync(key, "/api/v1/segments", new
        {
            name = $"{name} audience",
            rules = new { op = "and", rules = new[] { new { field = "city", @operator = "is_not_empty" } } },
        });
        var campaign = await ApiAsync(key, "/api/v1/campaigns", new { name, segmentId = segment.GetProperty("id").GetInt64(), template = "Hi {{ customer.first_name }}!" });
        return campaign.GetProperty("campaign").GetProperty("id").GetInt64();
    }

    private async Task<JsonElement> ApiAsync(string key, string path, object body)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = JsonContent.Create(body) };
        request.Headers.Add("X-Api-Key", key);
        using var response = await crm.Api.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode is HttpStatusCode.Created or HttpStatusCode.OK, $"POST {path} answered {(int)response.StatusCode}: {text}");
        return JsonDocument.Parse(text).RootElement.Clone();
    }
}
