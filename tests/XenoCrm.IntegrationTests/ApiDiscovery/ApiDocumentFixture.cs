using System.Net;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using XenoCrm.IntegrationTests.Infrastructure;
using XenoCrm.Web.ApiKeys;

namespace XenoCrm.IntegrationTests.ApiDiscovery;

/// <summary>XenoCrm.Web in the test process, with the development sign-in, and the OpenAPI document it serves to an API key.</summary>
public class ApiDocumentFixture(SharedServers servers) : IAsyncLifetime
{
    public const string DocumentPath = "/openapi/v1.json";

    public InProcessWeb Web { get; private set; } = null!;

    public string ApiKey { get; private set; } = null!;

    /// <summary>The document's root, as a client that holds an API key reads it.</summary>
    public JsonElement Document { get; private set; }

    /// <summary>The app's configuration; a fixture that needs more (higher limits, say) adds to it.</summary>
    protected virtual IReadOnlyDictionary<string, string> Settings => new Dictionary<string, string> { ["Auth:DevelopmentSignIn"] = "true" };

    public async Task InitializeAsync()
    {
        Web = await InProcessWeb.StartAsync(servers, Settings);
        await using (var scope = Web.Services.CreateAsyncScope())
        {
            (_, ApiKey) = await ActivatorUtilities.CreateInstance<ApiKeyStore>(scope.ServiceProvider).CreateAsync("api-discovery", "tests", default);
        }
        using var browser = Web.NewBrowser();
        using var request = new HttpRequestMessage(HttpMethod.Get, DocumentPath);
        request.Headers.Add("X-Api-Key", ApiKey);
        using var response = await browser.SendAsync(request);
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"GET {DocumentPath} with an API key answered {(int)response.StatusCode}: {body}");
        using var document = JsonDocument.Parse(body);
        Document = document.RootElement.Clone();
    }

    /// <summary>Every operation of the document as (method, path template) → operation.</summary>
    public IReadOnlyDictionary<(string Method, string Path), JsonElement> Operations() =>
        Document.GetProperty("paths").EnumerateObject()
            .SelectMany(path => path.Value.EnumerateObject()
                .Where(o => o.Name is "get" or "post" or "put" or "delete" or "patch")
                .Select(o => (Key: (o.Name.ToUpperInvariant(), path.Name), o.Value)))
            .ToDictionary(o => o.Key, o => o.Value);

    public async Task DisposeAsync()
    {
        if (Web is not null)
        {
            await Web.DisposeAsync();
        }
    }
}
