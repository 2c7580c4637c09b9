using System.Text.Json;
using System.Text.RegularExpressions;
using XenoCrm.IntegrationTests.Infrastructure;
using XenoCrm.TestServers;

namespace XenoCrm.IntegrationTests.ApiDiscovery;

/// <summary>docs/postman's collection stays in step with the OpenAPI document: nothing it calls is undocumented, nothing documented is forgotten.</summary>
[Collection(SharedServersDefinition.Name)]
public sealed partial class PostmanCollectionTests(ApiDocumentFixture fixture) : IClassFixture<ApiDocumentFixture>
{
    public static readonly string CollectionPath = Path.Combine(RepoPaths.Root, "docs", "postman", "xenocrm.postman_collection.json");

    /// <summary>Operations the collection leaves out, and why. Keep it short: a new operation belongs in the collection.</summary>
    private static readonly Dictionary<string, string> NotInTheCollection = new()
    {
        ["UpdateSegment"] = "editing is not one of the seed's flows; its body is CreateSegment's",
        ["UpdateCampaign"] = "editing a draft is not one of the seed's flows; its body is CreateCampaign's",
        ["DeleteCampaign"] = "only a draft can be deleted, and the flow sends its campaign",
        ["CancelCampaign"] = "a one-recipient campaign completes before a cancel could reach it",
        ["RetryFailedCampaignMessages"] = "needs failed messages, which the simulated vendor makes at random",
        ["DeleteSegment"] = "the flow's segment stays, as the history of its campaign",
    };

    [Fact]
    public void Collection_CallsOnlyDocumentedOperations_AndEveryOperationOrAJustifiedExclusion()
    {
        using var collection = JsonDocument.Parse(File.ReadAllText(CollectionPath));
        var requests = Requests(collection.RootElement.GetProperty("item")).ToList();
        Assert.True(requests.Count >= 10, $"Only {requests.Count} requests in {CollectionPath}.");
        var operations = fixture.Operations();

        var undocumented = requests.Where(r => !operations.ContainsKey((r.Method, r.Path))).Select(r => $"{r.Name}: {r.Method} {r.Path}").ToList();
        Assert.True(undocumented.Count == 0, $"Requests of the collection that the OpenAPI document does not have:\n{string.Join('\n', undocumented)}");

        var used = requests.Select(r => operations[(r.Method, r.Path)].GetProperty("operationId").GetString()!).ToHashSet();
        var all = operations.Values.Select(o => o.GetProperty("operationId").GetString()!).ToHashSet();
        var forgotten = all.Except(used).Except(NotInTheCollection.Keys).ToList();
        Assert.True(forgotten.Count == 0, $"Operations neither in the collection nor in {nameof(NotInTheCollection)}: {string.Join(", ", forgotten)}");
        var stale = NotInTheCollection.Keys.Where(k => !all.Contains(k) || used.Contains(k)).ToList();
        Assert.True(stale.Count == 0, $"Exclusions that are used or no longer exist: {string.Join(", ", stale)}");
    }

    [Fact]
    public void Collection_AuthenticatesWithTheApiKeyVariable_AndDeclaresItsVariables()
    {
        using var collection = JsonDocument.Parse(File.ReadAllText(CollectionPath));
        var root = collection.RootElement;
        Assert.Equal("https://schema.getpostman.com/json/collection/v2.1.0/collection.json", root.GetProperty("info").GetProperty("schema").GetString());
        var auth = root.GetProperty("auth");
        Assert.Equal("apikey", auth.GetProperty("type").GetString());
        var settings = auth.GetProperty("apikey").EnumerateArray().ToDictionary(s => s.GetProperty("key").GetString()!, s => s.GetProperty("value").GetString());
        Assert.Equal("X-Api-Key", settings["key"]);
        Assert.Equal("{{apiKey}}", settings["value"]);
        Assert.Equal("header", settings["in"]);
        var variables = root.GetProperty("variable").EnumerateArray().Select(v => v.GetProperty("key").GetString()).ToList();
        Assert.Contains("baseUrl", variables);
        Assert.Contains("apiKey", variables);
        Assert.All(Requests(root.GetProperty("item")), r => Assert.StartsWith("{{baseUrl}}/api/v1/", r.Raw, StringComparison.Ordinal));
    }

    private sealed record PostmanRequest(string Name, string Method, string Path, string Raw);

    /// <summary>Every request of the collection, folders flattened; the path as a template (<c>{{segmentId}}</c> → <c>{id}</c>).</summary>
    private static IEnumerable<PostmanRequest> Requests(JsonElement items)
    {
        foreach (var item in items.EnumerateArray())
        {
            if (item.TryGetProperty("item", out var children))
            {
                foreach (var request in Requests(children))
                {
                    yield return request;
                }
                continue;
            }
            var http = item.GetProperty("request");
            var raw = http.GetProperty("url").GetProperty("raw").GetString()!;
            var path = raw.Replace("{{baseUrl}}", "", StringComparison.Ordinal).Split('?')[0];
            yield return new PostmanRequest(item.GetProperty("name").GetString()!, http.GetProperty("method").GetString()!.ToUpperInvariant(),
                PathVariable().Replace(path, "{id}"), raw);
        }
    }

    [GeneratedRegex(@"\{\{\w+\}\}")]
    private static partial Regex PathVariable();
}
