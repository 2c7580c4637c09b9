using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.Playwright;
using Xunit.Abstractions;
using static Microsoft.Playwright.Assertions;

namespace XenoCrm.BrowserTests;

/// <summary>
/// The segment builder in Chromium: a nested tree built with clicks, its live audience size checked
/// against a count made from <c>GET /api/v1/customers</c> (so demo data changes nothing), saved, reopened and edited.
/// </summary>
public sealed class SegmentBuilderTests(EmbeddedCrm crm, ITestOutputHelper output) : IClassFixture<EmbeddedCrm>
{
    private const string City = "Pune";
    private const int RecentDays = 90;

    [Fact]
    public async Task SegmentBuilder_BuildsSavesAndEditsNestedTree_WithLiveCountMatchingTheCustomers()
    {
        await using var browser = await BrowserSession.OpenAsync(crm, nameof(SegmentBuilder_BuildsSavesAndEditsNestedTree_WithLiveCountMatchingTheCustomers), output);
        var page = browser.Page;
        await browser.RunAsync(async () =>
        {
            await browser.SignInAsync(EmbeddedCrm.AdminEmail);
            var customers = await AllCustomersAsync(await browser.CreateApiKeyAsync("segment-builder-test"));
            // Meera (₹9,000, ordered 3 days ago) is in at 5,000; Ravi (₹1,200) and Asha (₹3,500.50) join at 1,000.
            var firstCount = Expected(customers, 5000m);
            var secondCount = Expected(customers, 1000m);
            Assert.True(secondCount >= firstCount + 2, $"The seeded customers should make lowering the spend grow the audience ({firstCount} → {secondCount}).");

            await browser.NavLink("Segments").ClickAsync();
            await Expect(page).ToHaveURLAsync($"{crm.BaseUrl}/segments");
            await Expect(page.Locator("#segments-empty")).ToContainTextAsync("A segment is a saved audience");
            await browser.ScreenshotAsync("empty-list");
            await page.Locator("#segments-empty").GetByRole(AriaRole.Link, new() { Name = "New segment" }).ClickAsync();
            await Expect(page).ToHaveURLAsync($"{crm.BaseUrl}/segments/new");

            await page.GetByLabel("Name", new() { Exact = true }).FillAsync("Big spenders or loyal Pune");
            // (total spend > 5,000 AND last order in the last 90 days) OR (city = Pune AND NOT (order count < 2))
            await Header(page, "root").GetByRole(AriaRole.Button, new() { Name = "OR", Exact = true }).ClickAsync();
            await Node(page, "rule 1").GetByRole(AriaRole.Button, new() { Name = "Remove rule" }).ClickAsync();
            await AddGroupAsync(page, "root");
            await AddGroupAsync(page, "root");

            await SetRuleAsync(page, "group 1, rule 1", "total_spend", "gt", "5000");
            await AddRuleAsync(page, "group 1");
            // A fresh rule has no value yet: the mistake is shown beside it, in the parser's words.
            await Expect(Node(page, "group 1, rule 2").Locator(".segment-errors")).ToContainTextAsync("needs a text");
            await browser.ScreenshotAsync("rule-error");
            await SetRuleAsync(page, "group 1, rule 2", "last_order_at", "in_last_days", RecentDays.ToString(CultureInfo.InvariantCulture));

            await SetRuleAsync(page, "group 2, rule 1", "city", "equals", City);
            await AddGroupAsync(page, "group 2");
            await SetRuleAsync(page, "group 2, group 2, rule 1", "order_count", "lt", "2");
            await Header(page, "group 2, group 2").GetByLabel("NOT (everyone except these)").CheckAsync();

            await ExpectCountAsync(page, firstCount);
            await Expect(page.Locator("[data-path] .segment-errors:not(:empty)")).ToHaveCountAsync(0);
            await Expect(page.Locator("#preview-english")).ToHaveTextAsync(
                "Customers who (spent more than ₹5,000.00 AND ordered in the last 90 days) OR (live in Pune AND NOT (placed less than 2 orders))");
            await Expect(page.Locator("#preview-sample tbody tr").Filter(new() { HasText = EmbeddedCrm.Meera.Name })).ToHaveCountAsync(1);
            await browser.ScreenshotAsync("built");

            await page.GetByRole(AriaRole.Button, new() { Name = "Save segment" }).ClickAsync();
            await Expect(page).ToHaveURLAsync($"{crm.BaseUrl}/segments");
            await Expect(page.GetByRole(AriaRole.Status)).ToContainTextAsync("Saved “Big spenders or loyal Pune”");
            var row = page.Locator("#segments tbody tr").Filter(new() { HasText = "Big spenders or loyal Pune" });
            await Expect(row.Locator(".segment-size")).ToHaveTextAsync(firstCount.ToString("N0", CultureInfo.InvariantCulture));
            await Expect(row).ToContainTextAsync($"by {EmbeddedCrm.AdminEmail}");
            await browser.ScreenshotAsync("saved");

            // Reopened, the tree is as it was saved; lowering the spend grows the audience.
            await row.GetByRole(AriaRole.Link, new() { Name = "Big spenders or loyal Pune", Exact = true }).ClickAsync();
            await Expect(page).ToHaveURLAsync(new Regex($"^{Regex.Escape(crm.BaseUrl)}/segments/\\d+/edit$"));
            await Expect(page.GetByLabel("Name", new() { Exact = true })).ToHaveValueAsync("Big spenders or loyal Pune");
            await Expect(Node(page, "group 2, group 2").Locator("input[type=checkbox]").First).ToBeCheckedAsync();
            await Expect(Node(page, "group 2, rule 1").GetByLabel("Value")).ToHaveValueAsync(City);
            var spend = Node(page, "group 1, rule 1").GetByLabel("Value");
            await Expect(spend).ToHaveValueAsync("5000");
            await ExpectCountAsync(page, firstCount);
            await spend.FillAsync("1000");
            await ExpectCountAsync(page, secondCount);
            await Expect(page.Locator("#preview-english")).ToContainTextAsync("spent more than ₹1,000.00");
            await browser.ScreenshotAsync("edited");
            await page.GetByRole(AriaRole.Button, new() { Name = "Save segment" }).ClickAsync();
            await Expect(page).ToHaveURLAsync($"{crm.BaseUrl}/segments");
            await Expect(row.Locator(".segment-size")).ToHaveTextAsync(secondCount.ToString("N0", CultureInfo.InvariantCulture));
            await Expect(page.Locator("#segments tbody tr")).ToHaveCountAsync(1);
            await browser.ScreenshotAsync("list-updated");
        });
    }

    private static ILocator Node(IPage page, string path) => page.Locator($"[data-path='{path}']");

    /// <summary>A group's own controls, not those of the groups inside it.</summary>
    private static ILocator Header(IPage page, string path) => Node(page, path).Locator("> .segment-group-header");

    private static Task AddGroupAsync(IPage page, string path) =>
        Node(page, path).Locator("> .segment-group-footer").GetByRole(AriaRole.Button, new() { Name = "+ Add group" }).ClickAsync();

    private static Task AddRuleAsync(IPage page, string path) =>
        Node(page, path).Locator("> .segment-group-footer").GetByRole(AriaRole.Button, new() { Name = "+ Add rule" }).ClickAsync();

    private static async Task SetRuleAsync(IPage page, string path, string field, string op, string value)
    {
        var rule = Node(page, path);
        await rule.GetByLabel("Field").SelectOptionAsync(field);
        await rule.GetByLabel("Operator").SelectOptionAsync(op);
        await rule.GetByLabel(op is "in_last_days" or "more_than_days_ago" ? "Days" : "Value").FillAsync(value);
    }

    private static async Task ExpectCountAsync(IPage page, int count)
    {
        await Expect(page.Locator("#preview-count")).ToHaveTextAsync(count.ToString("N0", CultureInfo.InvariantCulture));
        await Expect(page.Locator("#segment-preview")).Not.ToHaveAttributeAsync("aria-busy", "true");
        await Expect(page.Locator("#preview-count")).ToHaveTextAsync(count.ToString("N0", CultureInfo.InvariantCulture));
    }

    /// <summary>The tree the test builds, evaluated over every customer the API lists.</summary>
    private static int Expected(IReadOnlyList<CustomerFacts> customers, decimal spend)
    {
        var since = DateTime.UtcNow.AddDays(-RecentDays);
        return customers.Count(c =>
            (c.TotalSpend > spend && c.LastOrderAt >= since)
            || (string.Equals(c.City, City, StringComparison.OrdinalIgnoreCase) && !(c.OrderCount < 2)));
    }

    private async Task<IReadOnlyList<CustomerFacts>> AllCustomersAsync(string key)
    {
        var all = new List<CustomerFacts>();
        for (var pageIndex = 1; ; pageIndex++)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, $"/api/v1/customers?page={pageIndex}&pageSize=500");
            request.Headers.Add("X-Api-Key", key);
            using var response = await crm.Api.SendAsync(request);
            response.EnsureSuccessStatusCode();
            var body = await response.Content.ReadFromJsonAsync<CustomerPage>(JsonSerializerOptions.Web);
            all.AddRange(body!.Items);
            if (body.Items.Count == 0 || all.Count >= body.Total)
            {
                return all;
            }
        }
    }

    private sealed record CustomerPage(IReadOnlyList<CustomerFacts> Items, int Total);

    private sealed record CustomerFacts(string? City, decimal TotalSpend, int OrderCount, DateTime? LastOrderAt);
}
