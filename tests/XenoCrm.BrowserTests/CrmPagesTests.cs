using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text.RegularExpressions;
using Microsoft.Playwright;
using Xunit.Abstractions;
using static Microsoft.Playwright.Assertions;

namespace XenoCrm.BrowserTests;

/// <summary>
/// The pages as people use them, in Chromium, against one embedded XenoCrm seeded with four customers (besides its demo data).
/// Each test signs in on its own browser context.
/// </summary>
public sealed class CrmPagesTests(EmbeddedCrm crm, ITestOutputHelper output) : IClassFixture<EmbeddedCrm>
{
    // ApiKeyStore.RevocationDelay is 30 s; a little more for the request in flight and a busy machine.
    private static readonly TimeSpan _revocationDeadline = TimeSpan.FromSeconds(35);

    [Fact]
    public async Task CustomerPages_SearchSortAndOpenProfile_WhenAdminSignsIn()
    {
        await using var browser = await BrowserSession.OpenAsync(crm, nameof(CustomerPages_SearchSortAndOpenProfile_WhenAdminSignsIn), output);
        var page = browser.Page;
        await browser.RunAsync(async () =>
        {
            await browser.SignInAsync(EmbeddedCrm.AdminEmail);
            await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Customers", Exact = true })).ToBeVisibleAsync();
            await Expect(browser.NavLink("Customers")).ToHaveAttributeAsync("aria-current", "page");
            // The embedded mode's first start filled the empty database with demo customers, and says so.
            var demoNotice = page.Locator("#demo-data-notice");
            await Expect(demoNotice).ToContainTextAsync("@demo.xenocrm.example");
            await demoNotice.GetByRole(AriaRole.Button, new() { Name = "Dismiss" }).ClickAsync();
            await Expect(demoNotice).ToHaveCountAsync(0);
            foreach (var customer in EmbeddedCrm.BySpend)
            {
                await Expect(CustomerRows(page).Filter(new() { HasText = customer.Email })).ToHaveCountAsync(1);
            }
            await browser.ScreenshotAsync("customers");

            // Search by name.
            await page.GetByLabel("Search by name or email").FillAsync("Zephyrine");
            await page.GetByRole(AriaRole.Button, new() { Name = "Search", Exact = true }).ClickAsync();
            await Expect(page).ToHaveURLAsync(new Regex("[?&]q=Zephyrine"));
            await Expect(CustomerNames(page)).ToHaveTextAsync([EmbeddedCrm.Asha.Name]);
            await browser.ScreenshotAsync("search-by-name");
            await page.GetByRole(AriaRole.Link, new() { Name = "Clear", Exact = true }).ClickAsync();
            await Expect(page).ToHaveURLAsync($"{crm.BaseUrl}/customers");

            // Sort by total spend: highest first over the whole list.
            await SpendHeaderLink(page).ClickAsync();
            await Expect(page).ToHaveURLAsync(new Regex("[?&]sort=spend"));
            await Expect(page.Locator("#customers-sort")).ToContainTextAsync("Highest total spend first");
            await Expect(page.Locator("#customers th[aria-sort]")).ToHaveAttributeAsync("aria-sort", "descending");
            var spends = (await (await SpendCellsAsync(page)).AllInnerTextsAsync()).Select(ParseMoney).ToList();
            Assert.True(spends.Count >= EmbeddedCrm.BySpend.Count, $"Only {spends.Count} rows sorted by spend.");
            Assert.Equal(spends.OrderDescending(), spends);
            await browser.ScreenshotAsync("sorted-by-spend");

            // A search keeps the sort: the seeded customers alone, in spend order, then flipped.
            await page.GetByLabel("Search by name or email").FillAsync(EmbeddedCrm.SeedEmailDomain);
            await page.GetByRole(AriaRole.Button, new() { Name = "Search", Exact = true }).ClickAsync();
            await Expect(page).ToHaveURLAsync(new Regex("[?&]q=zephyr-shop\\.test"));
            await Expect(page).ToHaveURLAsync(new Regex("[?&]sort=spend"));
            await Expect(CustomerNames(page)).ToHaveTextAsync(EmbeddedCrm.BySpend.Select(c => c.Name));
            await Expect(await SpendCellsAsync(page)).ToHaveTextAsync(EmbeddedCrm.BySpend.Select(c => MoneyPattern(c.TotalSpend)));
            await browser.ScreenshotAsync("search-sorted-by-spend");
            await SpendHeaderLink(page).ClickAsync();
            await Expect(page.Locator("#customers th[aria-sort]")).ToHaveAttributeAsync("aria-sort", "ascending");
            await Expect(page.Locator("#customers-sort")).ToContainTextAsync("Lowest total spend first");
            await Expect(CustomerNames(page)).ToHaveTextAsync(EmbeddedCrm.BySpend.Reverse().Select(c => c.Name));
            await browser.ScreenshotAsync("search-sorted-by-spend-ascending");

            // The profile: aggregates and orders, newest first.
            var meera = EmbeddedCrm.Meera;
            await page.Locator("#customers").GetByRole(AriaRole.Link, new() { Name = meera.Name, Exact = true }).ClickAsync();
            await Expect(page).ToHaveURLAsync($"{crm.BaseUrl}/customers/{crm.CustomerId(meera)}");
            await Expect(page.Locator("#profile-heading")).ToHaveTextAsync(meera.Name);
            await Expect(page.Locator("#customer-profile")).ToContainTextAsync(meera.Email);
            await Expect(page.Locator("#customer-profile")).ToContainTextAsync($"{meera.City}, {meera.Country}");
            await Expect(Stat(page, "Total spend")).ToHaveTextAsync(MoneyPattern(9000m));
            await Expect(Stat(page, "Orders")).ToHaveTextAsync("2");
            await Expect(Stat(page, "Average order")).ToHaveTextAsync(MoneyPattern(4500m));
            var orders = page.Locator("#customer-orders tbody tr");
            await Expect(orders.Locator("td:nth-child(2)")).ToHaveTextAsync(["bt-o2", "bt-o1"]);
            await Expect(orders.Locator("td:nth-child(3)")).ToHaveTextAsync([MoneyPattern(4000m), MoneyPattern(5000m)]);
            await browser.ScreenshotAsync("profile");

            // Its orders in the orders list, then every order, then the dead letters (none: everything was stored).
            await page.GetByRole(AriaRole.Link, new() { Name = "In the orders list" }).ClickAsync();
            await Expect(page).ToHaveURLAsync(new Regex($"/orders\\?customerid={crm.CustomerId(meera)}$", RegexOptions.IgnoreCase));
            await Expect(page.Locator("#order-customer-filter")).ToContainTextAsync(meera.Name);
            await Expect(page.Locator("#orders tbody tr")).ToHaveCountAsync(2);
            await browser.ScreenshotAsync("customer-orders");
            await browser.NavLink("Orders").ClickAsync();
            await Expect(page).ToHaveURLAsync($"{crm.BaseUrl}/orders");
            foreach (var order in EmbeddedCrm.BySpend.SelectMany(c => c.Orders))
            {
                await Expect(page.Locator("#orders tbody tr").Filter(new() { HasText = order.ExternalId })).ToHaveCountAsync(1);
            }
            await browser.ScreenshotAsync("orders");
            await browser.NavLink("Dead letters").ClickAsync();
            await Expect(page).ToHaveURLAsync($"{crm.BaseUrl}/deadletters");
            await Expect(page.Locator("#dead-letters-empty")).ToBeVisibleAsync();
            await browser.ScreenshotAsync("dead-letters");
        });
    }

    [Fact]
    public async Task CustomerPages_ShowMarkupInNameAsText_WithoutRunningIt()
    {
        await using var browser = await BrowserSession.OpenAsync(crm, nameof(CustomerPages_ShowMarkupInNameAsText_WithoutRunningIt), output);
        var page = browser.Page;
        var hostile = EmbeddedCrm.Hostile;
        await browser.RunAsync(async () =>
        {
            await browser.SignInAsync(EmbeddedCrm.AdminEmail);
            await page.GetByLabel("Search by name or email").FillAsync("O'Brien");
            await page.GetByRole(AriaRole.Button, new() { Name = "Search", Exact = true }).ClickAsync();
            var link = page.Locator("#customers").GetByRole(AriaRole.Link, new() { Name = hostile.Name, Exact = true });
            await Expect(link).ToHaveTextAsync(hostile.Name);
            Assert.Contains("&lt;script&gt;alert(1)&lt;/script&gt;", await link.InnerHTMLAsync(), StringComparison.Ordinal);
            await AssertNoInjectedScriptAsync(page);
            await browser.ScreenshotAsync("customers-search");

            await link.ClickAsync();
            await Expect(page).ToHaveURLAsync($"{crm.BaseUrl}/customers/{crm.CustomerId(hostile)}");
            await Expect(page.Locator("#profile-heading")).ToHaveTextAsync(hostile.Name);
            await Expect(page).ToHaveTitleAsync($"{hostile.Name} · XenoCrm");
            Assert.Contains("<script>alert(1)</script>", await page.Locator("body").InnerTextAsync(), StringComparison.Ordinal);
            await AssertNoInjectedScriptAsync(page);
            await browser.ScreenshotAsync("profile");

            Assert.Empty(browser.Dialogs);
        });
    }

    [Fact]
    public async Task ApiKeysPage_CreatesKeyShownOnce_AndRevokedKeyIsRefusedWithin35Seconds()
    {
        await using var browser = await BrowserSession.OpenAsync(crm, nameof(ApiKeysPage_CreatesKeyShownOnce_AndRevokedKeyIsRefusedWithin35Seconds), output);
        var page = browser.Page;
        await browser.RunAsync(async () =>
        {
            await browser.SignInAsync(EmbeddedCrm.AdminEmail);

            // An admin also reaches the jobs dashboard.
            await browser.NavLink("Jobs").ClickAsync();
            await Expect(page).ToHaveURLAsync($"{crm.BaseUrl}/hangfire");
            await Expect(page).ToHaveTitleAsync(new Regex("XenoCrm jobs"));
            await browser.ScreenshotAsync("jobs");
            await page.GoBackAsync();

            await browser.NavLink("Settings").ClickAsync();
            await Expect(page).ToHaveURLAsync($"{crm.BaseUrl}/settings/apikeys");
            await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Settings", Exact = true })).ToBeVisibleAsync();
            await browser.ScreenshotAsync("api-keys");

            await page.GetByLabel("Name", new() { Exact = true }).FillAsync("from-browser");
            await page.GetByRole(AriaRole.Button, new() { Name = "Create key", Exact = true }).ClickAsync();
            await Expect(page.Locator("#new-api-key")).ToContainTextAsync("Key “from-browser” created");
            var key = await page.GetByLabel("The new API key").InputValueAsync();
            Assert.Matches("^xcrm_[A-Za-z0-9]+_[A-Za-z0-9_-]+$", key);
            var row = page.Locator("#api-keys tbody tr").Filter(new() { Has = page.GetByRole(AriaRole.Cell, new() { Name = "from-browser", Exact = true }) });
            await Expect(row).ToHaveCountAsync(1);
            await Expect(row).ToContainTextAsync("Active");
            var shownPrefix = (await row.Locator("td:first-child").InnerTextAsync()).TrimEnd('…');
            Assert.StartsWith(shownPrefix, key, StringComparison.Ordinal);
            await browser.ScreenshotAsync("key-created");

            Assert.Equal(HttpStatusCode.Accepted, await PostCustomerAsync(key));

            // Shown once: a reload shows the list, not the key, and the list knows the key was used.
            await page.ReloadAsync();
            await Expect(page.Locator("#api-keys")).ToBeVisibleAsync();
            await Expect(page.Locator("#new-api-key")).ToHaveCountAsync(0);
            Assert.DoesNotContain(key, await page.ContentAsync(), StringComparison.Ordinal);
            await Expect(row).Not.ToContainTextAsync("Never");
            await browser.ScreenshotAsync("key-used");

            await row.GetByRole(AriaRole.Link, new() { Name = "Revoke…" }).ClickAsync();
            await Expect(page).ToHaveURLAsync(new Regex("/settings/apikeys/revoke/\\d+$"));
            await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Revoke “from-browser”?" })).ToBeVisibleAsync();
            await browser.ScreenshotAsync("revoke-confirm");
            await page.GetByRole(AriaRole.Button, new() { Name = "Revoke key", Exact = true }).ClickAsync();
            var revokedAt = Stopwatch.StartNew();
            await Expect(page).ToHaveURLAsync($"{crm.BaseUrl}/settings/apikeys");
            await Expect(page.GetByRole(AriaRole.Status)).ToContainTextAsync("Revoked “from-browser”");
            await Expect(row).ToContainTextAsync("Revoked");
            await Expect(row.GetByRole(AriaRole.Link, new() { Name = "Revoke…" })).ToHaveCountAsync(0);
            await browser.ScreenshotAsync("key-revoked");

            // The API caches validations for up to 30 s: until then the key may still work, after it must not.
            var answers = new List<HttpStatusCode>();
            while (true)
            {
                var status = await PostCustomerAsync(key);
                answers.Add(status);
                if (status != HttpStatusCode.Accepted || revokedAt.Elapsed > _revocationDeadline)
                {
                    break;
                }
                await Task.Delay(1000);
            }
            output.WriteLine($"Refused {revokedAt.Elapsed.TotalSeconds:0.0} s after revocation; answers: {string.Join(", ", answers.Select(a => (int)a))}");
            Assert.Equal(HttpStatusCode.Unauthorized, answers[^1]);
            Assert.True(revokedAt.Elapsed <= _revocationDeadline, $"The revoked key was refused only after {revokedAt.Elapsed.TotalSeconds:0.0} s.");
        });
    }

    [Fact]
    public async Task AdminPages_AreHiddenAndRefused_WhenSignedInAsNonAdmin()
    {
        await using var browser = await BrowserSession.OpenAsync(crm, nameof(AdminPages_AreHiddenAndRefused_WhenSignedInAsNonAdmin), output);
        var page = browser.Page;
        await browser.RunAsync(async () =>
        {
            await browser.SignInAsync(EmbeddedCrm.NonAdminEmail);
            await Expect(browser.NavLink("Customers")).ToBeVisibleAsync();
            await Expect(browser.NavLink("Orders")).ToBeVisibleAsync();
            await Expect(browser.NavLink("Dead letters")).ToHaveCountAsync(0);
            await Expect(browser.NavLink("Settings")).ToHaveCountAsync(0);
            await Expect(page.Locator("#signed-in-role")).ToHaveTextAsync("marketer");
            await Expect(browser.NavLink("Jobs")).ToHaveCountAsync(0);
            await browser.ScreenshotAsync("customers");

            foreach (var (path, step) in new[] { ("/settings/apikeys", "settings-refused"), ("/hangfire", "jobs-refused"), ("/deadletters", "dead-letters-refused") })
            {
                var response = await page.GotoAsync(path);
                Assert.NotNull(response);
                Assert.Equal((int)HttpStatusCode.Forbidden, response.Status);
                await Expect(page).ToHaveURLAsync(new Regex($"^{Regex.Escape(crm.BaseUrl)}/account/denied"));
                await Expect(page.Locator("#denied-message")).ToContainTextAsync("not for your role (marketer)");
                await Expect(page.Locator("#create-api-key")).ToHaveCountAsync(0);
                await Expect(page).Not.ToHaveTitleAsync(new Regex("XenoCrm jobs"));
                await browser.ScreenshotAsync(step);
            }
        });
    }

    private static ILocator CustomerRows(IPage page) => page.Locator("#customers tbody tr");

    /// <summary>Each row's link to the profile, which reads the customer's name.</summary>
    private static ILocator CustomerNames(IPage page) => page.Locator("#customers tbody tr td:first-child a");

    /// <summary>The cells under the "Total spend" header, wherever that column is.</summary>
    private static async Task<ILocator> SpendCellsAsync(IPage page)
    {
        var column = await page.Locator("#customers thead th")
            .EvaluateAllAsync<int>("headers => headers.findIndex(h => h.textContent.trim().startsWith('Total spend')) + 1");
        Assert.True(column > 0, "The customers table has no \"Total spend\" column.");
        return page.Locator($"#customers tbody tr td:nth-child({column})");
    }

    private static ILocator SpendHeaderLink(IPage page) =>
        page.Locator("#customers thead").GetByRole(AriaRole.Link, new() { NameRegex = new Regex("^Total spend") });

    /// <summary>A figure in the profile's aggregates, found by its caption.</summary>
    private static ILocator Stat(IPage page, string caption) =>
        page.Locator("#customer-aggregates .col")
            .Filter(new() { Has = page.GetByText(caption, new() { Exact = true }) })
            .Locator(".stat-value");

    /// <summary>"₹9,000.00", whatever the configured currency symbol.</summary>
    private static Regex MoneyPattern(decimal amount) =>
        new($"^\\D*{Regex.Escape(amount.ToString("N2", CultureInfo.InvariantCulture))}$");

    private static decimal ParseMoney(string text) =>
        decimal.Parse(Regex.Replace(text, "[^0-9.]", ""), NumberStyles.Number, CultureInfo.InvariantCulture);

    private static async Task AssertNoInjectedScriptAsync(IPage page)
    {
        var scripts = await page.Locator("script").EvaluateAllAsync<string[]>("scripts => scripts.map(s => s.src || s.textContent)");
        Assert.DoesNotContain(scripts, s => s.Contains("alert(1)", StringComparison.Ordinal));
    }

    /// <summary>The same record every time (an upsert), sent as a shop's system would.</summary>
    private async Task<HttpStatusCode> PostCustomerAsync(string key)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/v1/customers")
        {
            Content = JsonContent.Create(new { externalId = "bt-from-browser", email = "from-browser@example.net", name = "From Browser" }),
        };
        request.Headers.Add("X-Api-Key", key);
        using var response = await crm.Api.SendAsync(request);
        return response.StatusCode;
    }
}
