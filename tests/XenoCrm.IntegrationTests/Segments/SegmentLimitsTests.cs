using System.Net;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using XenoCrm.IntegrationTests.Infrastructure;
using XenoCrm.Web.ApiKeys;

namespace XenoCrm.IntegrationTests.Segments;

[Collection(SharedServersDefinition.Name)]
public sealed class SegmentLimitsTests(SharedServers servers)
{
    private const string ThreeDeep = """
        {"rules":{"op":"and","rules":[{"op":"or","rules":[{"op":"and","rules":[{"field":"city","operator":"equals","value":"Pune"}]}]}]}}
        """;

    private const string ThreeRules = """
        {"rules":{"op":"or","rules":[{"field":"city","operator":"equals","value":"Pune"},{"field":"city","operator":"equals","value":"Goa"},{"field":"city","operator":"equals","value":"Agra"}]}}
        """;

    [Fact]
    public async Task Preview_RefusesTreesPastTheConfiguredLimits_NamingThem()
    {
        await using var web = await InProcessWeb.StartAsync(servers, new Dictionary<string, string>
        {
            ["Auth:DevelopmentSignIn"] = "true",
            ["Segments:MaxDepth"] = "2",
            ["Segments:MaxRules"] = "2",
        });
        string key;
        await using (var scope = web.Services.CreateAsyncScope())
        {
            (_, key) = await ActivatorUtilities.CreateInstance<ApiKeyStore>(scope.ServiceProvider).CreateAsync("limits", "tests", default);
        }
        using var browser = web.NewBrowser();

        var deep = await PreviewAsync(browser, key, ThreeDeep);
        Assert.Equal(HttpStatusCode.BadRequest, deep.Status);
        Assert.Contains("at most 2 deep", deep.Body, StringComparison.Ordinal);

        var wide = await PreviewAsync(browser, key, ThreeRules);
        Assert.Equal(HttpStatusCode.BadRequest, wide.Status);
        Assert.Contains("at most 2 rules", wide.Body, StringComparison.Ordinal);

        var allowed = await PreviewAsync(browser, key, """{"rules":{"op":"or","rules":[{"field":"city","operator":"equals","value":"Pune"}]}}""");
        Assert.Equal(HttpStatusCode.OK, allowed.Status);
        Assert.Equal(0, JsonDocument.Parse(allowed.Body).RootElement.GetProperty("count").GetInt32());
    }

    private static async Task<(HttpStatusCode Status, string Body)> PreviewAsync(CrmBrowser browser, string key, string json)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(CrmBrowser.Origin, "/api/v1/segments/preview"))
        {
            Content = new StringContent(json, Encoding.UTF8, "application/json"),
        };
        request.Headers.Add("X-Api-Key", key);
        using var response = await browser.SendAsync(request);
        return (response.StatusCode, await response.Content.ReadAsStringAsync());
    }
}
