using Microsoft.Playwright;
using Xunit.Abstractions;
using static Microsoft.Playwright.Assertions;

namespace XenoCrm.BrowserTests;

/// <summary>The interactive API reference: Swagger UI from wwwroot/lib, under the site's own Content-Security-Policy.</summary>
public sealed class ApiReferenceBrowserTests(EmbeddedCrm crm, ITestOutputHelper output) : IClassFixture<EmbeddedCrm>
{
    [Fact]
    public async Task ApiReference_ListsTheOperationsAndTriesOneWithAKey_UnderTheSiteCsp()
    {
        await using var browser = await BrowserSession.OpenAsync(crm, nameof(ApiReference_ListsTheOperationsAndTriesOneWithAKey_UnderTheSiteCsp), output);
        var page = browser.Page;
        await browser.RunAsync(async () =>
        {
            await browser.SignInAsync(EmbeddedCrm.AdminEmail);
            var key = await browser.CreateApiKeyAsync("api-reference-test");

            await browser.NavLink("API").ClickAsync();
            await Expect(page).ToHaveURLAsync($"{crm.BaseUrl}/api-reference");
            await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "XenoCrm API" })).ToBeVisibleAsync();
            foreach (var tag in (string[])["Customers", "Orders", "Segments", "Campaigns"])
            {
                await Expect(page.Locator($"#operations-tag-{tag}")).ToBeVisibleAsync();
            }
            await Expect(page.Locator("#operations-Segments-PreviewSegment")).ToBeVisibleAsync();
            await browser.ScreenshotAsync("reference");

            await page.Locator(".scheme-container button.authorize").ClickAsync();
            var dialog = page.Locator(".modal-ux");
            await dialog.Locator("input").FillAsync(key);
            await dialog.GetByRole(AriaRole.Button, new() { Name = "Apply credentials", Exact = true }).ClickAsync();
            await Expect(dialog.GetByRole(AriaRole.Button, new() { Name = "Remove authorization" })).ToBeVisibleAsync();
            await dialog.GetByRole(AriaRole.Button, new() { Name = "Close", Exact = true }).ClickAsync();

            var listSegments = page.Locator("#operations-Segments-ListSegments");
            await listSegments.Locator(".opblock-summary").ClickAsync();
            await listSegments.GetByRole(AriaRole.Button, new() { Name = "Try it out" }).ClickAsync();
            await listSegments.GetByRole(AriaRole.Button, new() { Name = "Execute" }).ClickAsync();
            await Expect(listSegments.Locator(".live-responses-table tr.response .response-col_status")).ToHaveTextAsync("200");
            await browser.ScreenshotAsync("tried-list-segments");
        });
    }
}
