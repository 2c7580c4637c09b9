using System.Net;
using System.Text;
using System.Text.Json;
using XenoCrm.IntegrationTests.Infrastructure;
using XenoCrm.Web.Api;

namespace XenoCrm.IntegrationTests.Security;

/// <summary>
/// Every page handler has its own body limit — a small default, more only where a handler carries more — and a body
/// past it is answered 413 with a problem document, before the handler or the anti-forgery check reads it.
/// </summary>
[Collection(SharedServersDefinition.Name)]
public sealed class PageBodyLimitTests(DevelopmentSignInFixture fixture) : IClassFixture<DevelopmentSignInFixture>
{
    private const string PreviewUrl = "/segments/new?handler=Preview";
    private const string Tree = """{"op":"and","rules":[{"field":"city","operator":"equals","value":"Pune"}]}""";

    [Fact]
    public async Task SegmentPreview_Answers413PastItsLimit_AndStillPreviewsANormalTree()
    {
        using var admin = await fixture.SignedInBrowserAsync(InProcessWeb.AdminEmail);
        var token = CrmBrowser.AntiforgeryToken(await PageAsync(admin, "/segments/new"));

        var huge = $$"""{"rules":{{Tree}},"padding":"{{new string('x', 20 * 1024 * 1024)}}"}""";
        using (var refused = await PostPreviewAsync(admin, token, huge))
        {
            Assert.Equal(HttpStatusCode.RequestEntityTooLarge, refused.StatusCode);
            Assert.Equal("application/problem+json", refused.Content.Headers.ContentType?.MediaType);
            using var problem = JsonDocument.Parse(await refused.Content.ReadAsStringAsync());
            Assert.Equal(413, problem.RootElement.GetProperty("status").GetInt32());
            Assert.Contains("256 KB", problem.RootElement.GetProperty("detail").GetString(), StringComparison.Ordinal);
        }
        // Just past the API's own limit for a preview is past the page's too.
        using (var justPast = await PostPreviewAsync(admin, token, $$"""{"rules":{{Tree}},"padding":"{{new string('x', (int)SegmentsApi.MaxBodyBytes)}}"}"""))
        {
            Assert.Equal(HttpStatusCode.RequestEntityTooLarge, justPast.StatusCode);
        }

        using var preview = await PostPreviewAsync(admin, token, $$"""{"rules":{{Tree}}}""");
        var body = await preview.Content.ReadAsStringAsync();
        Assert.True(preview.StatusCode == HttpStatusCode.OK, $"A normal preview answered {(int)preview.StatusCode}: {body}");
        using var answer = JsonDocument.Parse(body);
        Assert.Equal(JsonValueKind.Number, answer.RootElement.GetProperty("count").ValueKind);
        Assert.Equal(0, answer.RootElement.GetProperty("errors").GetArrayLength());
    }

    [Fact]
    public async Task SegmentSave_TakesATreeLargerThanTheDefaultLimit_WhichAFormOfShortFieldsRefuses()
    {
        using var admin = await fixture.SignedInBrowserAsync(InProcessWeb.AdminEmail);
        // 40 KB: past the default, well within the segment editor's limit; the tree is judged by its validation.
        var rules = $$"""{"op":"and","rules":[{"field":"city","operator":"equals","value":"{{new string('p', 40 * 1024)}}"}]}""";
        var segmentToken = CrmBrowser.AntiforgeryToken(await PageAsync(admin, "/segments/new"));
        using (var save = await admin.PostFormAsync("/segments/new",
            [new("Input.Name", "Large tree"), new("Input.Rules", rules), new("__RequestVerificationToken", segmentToken)]))
        {
            var html = await save.Content.ReadAsStringAsync();
            Assert.True(save.StatusCode == HttpStatusCode.OK, $"The segment save answered {(int)save.StatusCode}: {html}");
            Assert.Contains("1 to 200 characters", html, StringComparison.Ordinal);
        }

        var keysToken = CrmBrowser.AntiforgeryToken(await PageAsync(admin, "/settings/apikeys"));
        using var key = await admin.PostFormAsync("/settings/apikeys",
            [new("Input.Name", new string('k', 40 * 1024)), new("__RequestVerificationToken", keysToken)]);
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, key.StatusCode);
        Assert.Equal("application/problem+json", key.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public async Task EveryPagePost_Answers413_PastTheLargestLimitOfAnyPage()
    {
        var posts = (await AppEndpoints.ListAsync(fixture.Web.Services)).Where(c => c.IsPage && c.Method == "POST").ToList();
        Assert.Contains(posts, c => c.Path == PreviewUrl);
        Assert.Contains(posts, c => c.Path == "/account/signin");
        using var admin = await fixture.SignedInBrowserAsync(InProcessWeb.AdminEmail);
        var body = new string('x', 2 * 1024 * 1024);

        var failures = new List<string>();
        foreach (var post in posts)
        {
            using var response = await admin.PostFormAsync(post.Path, [new("Input.Name", body)]);
            if (response.StatusCode != HttpStatusCode.RequestEntityTooLarge)
            {
                failures.Add($"{post}: {(int)response.StatusCode}");
            }
        }

        Assert.True(failures.Count == 0, $"{failures.Count} of {posts.Count} page POSTs took a 2 MB form:\n{string.Join('\n', failures)}");
        Assert.True(admin.HasSession, "A refused body must not have reached sign-out.");
    }

    [Fact]
    public async Task PageForm_OfMoreFieldsThanAnyFormHas_IsRefusedAs400()
    {
        using var admin = await fixture.SignedInBrowserAsync(InProcessWeb.AdminEmail);
        var token = CrmBrowser.AntiforgeryToken(await PageAsync(admin, "/settings/apikeys"));
        var fields = Enumerable.Range(0, 500).Select(i => new KeyValuePair<string, string>($"f{i}", "1"))
            .Append(new("Input.Name", "many fields")).Append(new("__RequestVerificationToken", token));

        using var response = await admin.PostFormAsync("/settings/apikeys", fields);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
    }

    private static async Task<string> PageAsync(CrmBrowser browser, string path)
    {
        using var page = await browser.GetAsync(path);
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        return await page.Content.ReadAsStringAsync();
    }

    private static async Task<HttpResponseMessage> PostPreviewAsync(CrmBrowser browser, string token, string json)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, PreviewUrl) { Content = new StringContent(json, Encoding.UTF8, "application/json") };
        request.Headers.Accept.Clear();
        request.Headers.Accept.ParseAdd("application/json");
        request.Headers.Add("RequestVerificationToken", token);
        return await browser.SendAsync(request);
    }
}
