using System.Net;
using System.Text.Json;
using Microsoft.AspNetCore.Routing;
using Microsoft.AspNetCore.Routing.Patterns;
using Microsoft.Extensions.DependencyInjection;
using XenoCrm.IntegrationTests.Infrastructure;

namespace XenoCrm.IntegrationTests.ApiDiscovery;

/// <summary>The OpenAPI document describes the whole machine API, and says what to send and how to authenticate.</summary>
[Collection(SharedServersDefinition.Name)]
public sealed class ApiDocumentTests(ApiDocumentFixture fixture) : IClassFixture<ApiDocumentFixture>
{
    /// <summary>The operations that read a JSON body from the request themselves, so that only ApiDocumentation can describe it.</summary>
    private static readonly string[] BodyTakingOperations =
    [
        "IngestCustomers", "IngestOrders", "PreviewSegment", "CreateSegment", "UpdateSegment",
        "CreateCampaign", "UpdateCampaign", "SendCampaign", "PreviewCampaignTemplate",
    ];

    private static readonly string[] CustomerMembers = ["city", "country", "email", "externalId", "name", "phone", "signedUpAt"];
    private static readonly string[] SegmentMembers = ["name", "rules"];
    private static readonly string[] CampaignMembers = ["name", "segmentId", "template"];

    [Fact]
    public void Document_ListsEveryApiRouteTheAppMaps_WithASummaryAndTheApiKeyScheme()
    {
        var mapped = MappedApiOperations(fixture.Web.Services);
        // The enumeration itself must see the API, or this test would pass on nothing.
        Assert.Contains(("POST", "/api/v1/customers"), mapped);
        Assert.Contains(("POST", "/api/v1/campaigns/{id}/send"), mapped);
        var documented = fixture.Operations();

        Assert.Empty(mapped.Except(documented.Keys).Select(o => $"{o.Method} {o.Path} is mapped but not documented"));
        Assert.Empty(documented.Keys.Except(mapped).Select(o => $"{o.Method} {o.Path} is documented but not mapped"));
        Assert.DoesNotContain(fixture.Document.GetProperty("paths").EnumerateObject(), p => !p.Name.StartsWith("/api/v1/", StringComparison.Ordinal));

        var scheme = fixture.Document.GetProperty("components").GetProperty("securitySchemes").GetProperty("ApiKey");
        Assert.Equal("apiKey", scheme.GetProperty("type").GetString());
        Assert.Equal("header", scheme.GetProperty("in").GetString());
        Assert.Equal("X-Api-Key", scheme.GetProperty("name").GetString());
        foreach (var ((method, path), operation) in documented)
        {
            Assert.True(operation.TryGetProperty("summary", out var summary) && !string.IsNullOrWhiteSpace(summary.GetString()), $"{method} {path} has no summary.");
            Assert.True(operation.TryGetProperty("operationId", out _), $"{method} {path} has no operationId.");
            Assert.True(operation.TryGetProperty("security", out var security)
                && security.EnumerateArray().Any(requirement => requirement.TryGetProperty("ApiKey", out _)),
                $"{method} {path} does not require the ApiKey scheme.");
        }
        Assert.Equal("XenoCrm API", fixture.Document.GetProperty("info").GetProperty("title").GetString());
    }

    [Fact]
    public void Document_GivesASchemaAndExamples_ForEveryBodyTakingOperation()
    {
        var byId = fixture.Operations().Values.ToDictionary(o => o.GetProperty("operationId").GetString()!);
        foreach (var name in BodyTakingOperations)
        {
            Assert.True(byId.TryGetValue(name, out var operation), $"No operation {name}.");
            Assert.True(operation.TryGetProperty("requestBody", out var body), $"{name} has no request body.");
            var json = body.GetProperty("content").GetProperty("application/json");
            Assert.True(json.TryGetProperty("schema", out _), $"{name} has no body schema.");
            var examples = json.GetProperty("examples").EnumerateObject().ToList();
            Assert.NotEmpty(examples);
            Assert.All(examples, e => Assert.Equal(JsonValueKind.Object, e.Value.GetProperty("value").ValueKind));
        }
        // Every operation with a body is in the list above, so that none is left to be guessed.
        Assert.Equal(BodyTakingOperations.Order(), byId.Where(o => o.Value.TryGetProperty("requestBody", out _)).Select(o => o.Key).Order());
    }

    [Fact]
    public void Document_DescribesBodies_FromTheRequestRecordsTheApiReads()
    {
        var byId = fixture.Operations().Values.ToDictionary(o => o.GetProperty("operationId").GetString()!);

        // The customer's one shape (CustomerRecord): its members, their limits, and no member beside them; one or a batch.
        var customers = Resolve(BodySchema(byId["IngestCustomers"]));
        var one = Resolve(customers.GetProperty("oneOf")[0]);
        Assert.Equal(CustomerMembers, one.GetProperty("properties").EnumerateObject().Select(p => p.Name).Order());
        Assert.Equal(254, one.GetProperty("properties").GetProperty("email").GetProperty("maxLength").GetInt32());
        Assert.False(one.GetProperty("additionalProperties").GetBoolean());
        var batch = Resolve(customers.GetProperty("oneOf")[1]);
        Assert.Equal(1000, batch.GetProperty("properties").GetProperty("items").GetProperty("maxItems").GetInt32());

        // A segment's rules are the parser's tree, described once.
        var segment = Resolve(BodySchema(byId["CreateSegment"]));
        Assert.Equal(SegmentMembers, segment.GetProperty("properties").EnumerateObject().Select(p => p.Name).Order());
        Assert.Equal("#/components/schemas/RuleGroup", segment.GetProperty("properties").GetProperty("rules").GetProperty("$ref").GetString());

        var campaign = Resolve(BodySchema(byId["CreateCampaign"]));
        Assert.Equal(CampaignMembers, campaign.GetProperty("properties").EnumerateObject().Select(p => p.Name).Order());
    }

    private static JsonElement BodySchema(JsonElement operation) =>
        operation.GetProperty("requestBody").GetProperty("content").GetProperty("application/json").GetProperty("schema");

    /// <summary>A schema, or the component it refers to.</summary>
    private JsonElement Resolve(JsonElement schema) =>
        schema.TryGetProperty("$ref", out var reference)
            ? fixture.Document.GetProperty("components").GetProperty("schemas").GetProperty(reference.GetString()!["#/components/schemas/".Length..])
            : schema;

    [Fact]
    public async Task DocumentAndReferencePage_AreServed_ToASignedInPerson()
    {
        using var browser = fixture.Web.NewBrowser();
        await browser.SignInAsync("member@shop.test");

        using var document = await browser.GetAsync(ApiDocumentFixture.DocumentPath);
        using var page = await browser.GetAsync("/api-reference");

        Assert.Equal(HttpStatusCode.OK, document.StatusCode);
        Assert.Equal("application/json", document.Content.Headers.ContentType?.MediaType);
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        var html = await page.Content.ReadAsStringAsync();
        Assert.Contains("swagger-ui-bundle", html, StringComparison.Ordinal);
        Assert.Contains($"data-document-url=\"{ApiDocumentFixture.DocumentPath}\"", html, StringComparison.Ordinal);
    }

    /// <summary>
    /// Found by the API fuzzer (ApiFuzzTests): a method a path does not take (HEAD, OPTIONS, TRACE) answered an API client,
    /// API key and all, with a redirect to the sign-in page; PATCH and the like with "no endpoint". Now a 405 problem
    /// document with Allow, and a 404 only where nothing is.
    /// </summary>
    [Theory]
    [InlineData("OPTIONS", "/api/v1/customers", 405, "GET, POST")]
    [InlineData("HEAD", "/api/v1/segments", 405, "GET, POST")]
    [InlineData("TRACE", "/api/v1/campaigns/1/send", 405, "POST")]
    [InlineData("PATCH", "/api/v1/segments/12", 405, "GET, PUT, DELETE")]
    [InlineData("GET", "/api/v1/segments/preview", 405, "POST")]
    [InlineData("GET", "/api/v1/segments/abc", 404, null)]
    [InlineData("OPTIONS", "/api/v1/nothing/here", 404, null)]
    public async Task MethodOrPathWithoutAnEndpoint_AnswersAProblemDocument_NotTheSignInRedirect(string method, string path, int status, string? allow)
    {
        using var browser = fixture.Web.NewBrowser();
        using var request = new HttpRequestMessage(new HttpMethod(method), path);
        request.Headers.Add("X-Api-Key", fixture.ApiKey);
        request.Headers.Accept.ParseAdd("application/json");

        using var response = await browser.SendAsync(request);

        var body = await response.Content.ReadAsStringAsync();
        Assert.True((int)response.StatusCode == status, $"{method} {path}: {(int)response.StatusCode} {response.Headers.Location} {body}");
        Assert.Equal(allow, response.Content.Headers.Allow.Count == 0 ? null : string.Join(", ", response.Content.Headers.Allow));
        if (method != "HEAD")
        {
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
            Assert.Equal(status, JsonDocument.Parse(body).RootElement.GetProperty("status").GetInt32());
        }
    }

    /// <summary>(method, path template) of every <c>/api/v1</c> endpoint the app maps, parameters without constraints, as OpenAPI writes them.</summary>
    internal static HashSet<(string Method, string Path)> MappedApiOperations(IServiceProvider services) =>
        services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>()
            .Where(e => !e.RoutePattern.Parameters.Any(p => p.IsCatchAll))
            .Select(e => (Endpoint: e, Path: Template(e.RoutePattern)))
            .Where(e => e.Path.StartsWith("/api/v1/", StringComparison.Ordinal))
            .SelectMany(e => (e.Endpoint.Metadata.GetMetadata<IHttpMethodMetadata>()?.HttpMethods ?? []).Select(m => (m.ToUpperInvariant(), e.Path)))
            .ToHashSet();

    private static string Template(RoutePattern pattern) =>
        "/" + string.Join('/', pattern.PathSegments.Select(segment => string.Concat(segment.Parts.Select(part => part switch
        {
            RoutePatternLiteralPart literal => literal.Content,
            RoutePatternSeparatorPart separator => separator.Content,
            RoutePatternParameterPart parameter => $"{{{parameter.Name}}}",
            _ => throw new InvalidOperationException($"Unknown route part {part.GetType().Name} in {pattern.RawText}"),
        }))));
}
