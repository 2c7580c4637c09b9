using System.Text.Json.Nodes;

namespace XenoCrm.IntegrationTests.ApiDiscovery;

/// <summary>A parameter of an operation as the OpenAPI document declares it (<c>in</c> is path or query).</summary>
internal sealed record ApiParameter(string Name, string In, JsonObject Schema, bool Required);

/// <summary>One operation of the OpenAPI document: what a client may send to it, read from the document alone.</summary>
internal sealed record ApiOperation(string Method, string Path, string OperationId, IReadOnlyList<ApiParameter> Parameters, JsonNode? BodySchema, bool BodyRequired)
{
    /// <summary>The collection the path names (<c>/api/v1/segments/{id}</c> → segments), whose ids its path takes.</summary>
    public string Resource => Path.Split('/', StringSplitOptions.RemoveEmptyEntries)[2];

    public IEnumerable<ApiParameter> Query => Parameters.Where(p => p.In == "query");

    public IEnumerable<ApiParameter> PathParameters => Parameters.Where(p => p.In == "path");

    public override string ToString() => $"{Method} {Path} ({OperationId})";
}

/// <summary>The OpenAPI document as JSON nodes: its operations, and its schemas with their <c>$ref</c>s resolved.</summary>
internal sealed class ApiSchemas(JsonObject document)
{
    private const string ComponentPrefix = "#/components/schemas/";
    private static readonly string[] Methods = ["get", "post", "put", "delete", "patch"];

    public JsonObject Document => document;

    public IReadOnlyList<ApiOperation> Operations() =>
        document["paths"]!.AsObject()
            .SelectMany(path => path.Value!.AsObject()
                .Where(o => Methods.Contains(o.Key))
                .Select(o => ReadOperation(o.Key.ToUpperInvariant(), path.Key, path.Value!.AsObject(), o.Value!.AsObject())))
            .ToList();

    /// <summary>The schema itself, or the component it refers to, with the component's name (null for an inline schema).</summary>
    public (JsonObject Schema, string? Component) Resolve(JsonNode schema)
    {
        var node = schema.AsObject();
        string? component = null;
        // A reference to a reference is legal, so follow it to the end (a document that loops would be a bug of the document).
        for (var hops = 0; node["$ref"] is JsonValue reference; hops++)
        {
            Assert.True(hops < 10, $"Schema references loop at {reference}.");
            var target = reference.GetValue<string>();
            Assert.StartsWith(ComponentPrefix, target, StringComparison.Ordinal);
            component = target[ComponentPrefix.Length..];
            node = document["components"]!["schemas"]![component]!.AsObject();
        }
        return (node, component);
    }

    /// <summary>The JSON types a schema allows (<c>"type": ["null", "string"]</c> or one name); empty when it says none.</summary>
    public static IReadOnlyList<string> TypesOf(JsonObject schema) => schema["type"] switch
    {
        JsonArray types => types.Select(t => t!.GetValue<string>()).ToList(),
        JsonValue type => [type.GetValue<string>()],
        _ => [],
    };

    public static IReadOnlySet<string> RequiredOf(JsonObject schema) =>
        schema["required"] is JsonArray required ? required.Select(r => r!.GetValue<string>()).ToHashSet(StringComparer.Ordinal) : new HashSet<string>();

    private static ApiOperation ReadOperation(string method, string path, JsonObject pathItem, JsonObject operation)
    {
        var parameters = new List<ApiParameter>();
        foreach (var declared in (pathItem["parameters"] as JsonArray ?? []).Concat(operation["parameters"] as JsonArray ?? []))
        {
            var parameter = declared!.AsObject();
            parameters.Add(new ApiParameter(
                parameter["name"]!.GetValue<string>(),
                parameter["in"]!.GetValue<string>(),
                parameter["schema"]?.AsObject() ?? [],
                parameter["required"]?.GetValue<bool>() ?? false));
        }
        var body = operation["requestBody"];
        return new ApiOperation(method, path, operation["operationId"]!.GetValue<string>(), parameters,
            body?["content"]?["application/json"]?["schema"], body?["required"]?.GetValue<bool>() ?? false);
    }
}
