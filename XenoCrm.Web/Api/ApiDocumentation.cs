using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;
using XenoCrm.Core.Ingestion;
using XenoCrm.Core.Segments;
using XenoCrm.Web.Authentication;

namespace XenoCrm.Web.Api;

/// <summary>
/// API discovery: the OpenAPI document of every <c>/api/v1</c> endpoint at <c>/openapi/v1.json</c>, which the
/// API reference page (<c>/api-reference</c>) renders. The endpoints describe themselves (<c>WithName</c>,
/// <c>WithSummary</c>, typed results); the bodies they read themselves are described here, keyed by endpoint
/// name, with schemas generated from the same request records <see cref="RequestBody"/> reads, and examples.
/// </summary>
public static class ApiDocumentation
{
    public const string DocumentName = "v1";
    public const string DocumentPath = "/openapi/v1.json";
    public const string SecuritySchemeId = "ApiKey";

    // The document is for people who are signed in (the reference page fetches it with the session cookie)
    // and for the machines that hold an API key (Postman, client generators); nobody else.
    private const string ReaderScheme = "SessionOrApiKey";
    private const string ReaderPolicy = "ApiDocumentReader";

    public static WebApplicationBuilder AddApiReference(this WebApplicationBuilder builder)
    {
        builder.Services.AddOpenApi(DocumentName, options =>
        {
            options.ShouldInclude = description => description.RelativePath?.StartsWith("api/v1/", StringComparison.OrdinalIgnoreCase) == true;
            options.AddOperationTransformer(DescribeBody);
            options.AddOperationTransformer(IdempotencyKeys.DescribeHeader);
            options.AddDocumentTransformer(DescribeDocument);
        });
        builder.Services.AddAuthentication()
            .AddPolicyScheme(ReaderScheme, "Session or API key", scheme => scheme.ForwardDefaultSelector = http =>
                http.Request.Headers.ContainsKey(ApiKeyAuthentication.HeaderName) ? ApiKeyAuthentication.Scheme : CookieAuthenticationDefaults.AuthenticationScheme);
        builder.Services.AddAuthorizationBuilder()
            .AddPolicy(ReaderPolicy, policy => policy.AddAuthenticationSchemes(ReaderScheme).RequireAuthenticatedUser());
        return builder;
    }

    public static IEndpointConventionBuilder MapApiReference(this WebApplication app) =>
        app.MapOpenApi(DocumentPath).RequireAuthorization(ReaderPolicy);

    private static Task DescribeDocument(OpenApiDocument document, OpenApiDocumentTransformerContext context, CancellationToken ct)
    {
        document.Info = new OpenApiInfo
        {
            Title = "XenoCrm API",
            Version = DocumentName,
            Description =
                "Push customers and orders into XenoCrm, carve them into segments and send campaigns.\n\n" +
                $"Every request needs an API key in the `{ApiKeyAuthentication.HeaderName}` header; an admin creates one under " +
                "Settings → API keys, or with `XenoCrm.Web api-keys create NAME`. Bodies are `application/json`; unknown members " +
                "are errors. Ingestion answers `202` once the message broker has confirmed the records (each is then stored or " +
                "dead-lettered with its reason) and `503` with `Retry-After` when it has not: retrying is always safe. Mistakes " +
                "come back as RFC 7807 problem details naming every bad field.",
        };
        document.Components ??= new OpenApiComponents();
        document.Components.SecuritySchemes ??= new Dictionary<string, IOpenApiSecurityScheme>();
        document.Components.SecuritySchemes[SecuritySchemeId] = new OpenApiSecurityScheme
        {
            Type = SecuritySchemeType.ApiKey,
            In = ParameterLocation.Header,
            Name = ApiKeyAuthentication.HeaderName,
            Description = "An API key (xcrm_…), created by an admin under Settings → API keys.",
        };
        document.Components.Schemas ??= new Dictionary<string, IOpenApiSchema>();
        document.Components.Schemas[RuleGroupSchemaId] = RuleGroupSchema(document);
        document.Components.Schemas[RuleSchemaId] = RuleSchema();

        foreach (var operation in document.Paths.Values.SelectMany(path => path.Operations?.Values ?? Enumerable.Empty<OpenApiOperation>()))
        {
            operation.Security = [new OpenApiSecurityRequirement { [new OpenApiSecuritySchemeReference(SecuritySchemeId, document)] = [] }];
            operation.Responses ??= [];
            operation.Responses.TryAdd("401", new OpenApiResponse { Description = $"No API key in {ApiKeyAuthentication.HeaderName}, or an unknown or revoked one." });
            operation.Responses.TryAdd("429", new OpenApiResponse { Description = "Past this key's request rate; see Retry-After." });
        }
        return Task.CompletedTask;
    }

    /// <summary>
    /// The body an endpoint reads itself (<see cref="RequestBody"/>), described from the very request record it reads:
    /// the schema is generated from that type, and only the examples, and the rule tree the parser checks, are added.
    /// </summary>
    private static async Task DescribeBody(OpenApiOperation operation, OpenApiOperationTransformerContext context, CancellationToken ct)
    {
        if (operation.OperationId is not { } name || !Bodies.TryGetValue(name, out var body))
        {
            return;
        }
        var schema = await context.GetOrCreateSchemaAsync(body.OneOrBatch ? typeof(Batch<>).MakeGenericType(body.Type) : body.Type, null, ct);
        if (body.OneOrBatch)
        {
            var record = await context.GetOrCreateSchemaAsync(body.Type, null, ct);
            Closed(record);
            Closed(schema);
            if (schema.Properties?.TryGetValue("items", out var itemsSchema) == true && itemsSchema is OpenApiSchema items)
            {
                items.Items = record;
                items.MinItems = 1;
                items.MaxItems = IngestionRequest.MaxItems;
            }
            schema = new OpenApiSchema { OneOf = [record, schema] };
        }
        else
        {
            Closed(schema);
            if (schema.Properties?.ContainsKey("rules") == true)
            {
                schema.Properties["rules"] = RuleGroupReference(context.Document);
            }
        }
        operation.RequestBody = new OpenApiRequestBody
        {
            Required = body.Required,
            Description = body.Description,
            Content = new Dictionary<string, OpenApiMediaType>
            {
                ["application/json"] = new()
                {
                    Schema = schema,
                    Examples = body.Examples.ToDictionary(
                        e => e.Name,
                        e => (IOpenApiExample)new OpenApiExample { Summary = e.Summary, Value = JsonNode.Parse(e.Json) }),
                },
            },
        };
    }

    /// <summary>Unknown members are errors (<see cref="RequestBody"/>), so the schema says so.</summary>
    private static void Closed(IOpenApiSchema schema)
    {
        if (schema is OpenApiSchema { Properties.Count: > 0 } open)
        {
            open.AdditionalPropertiesAllowed = false;
        }
    }

    private sealed record Example(string Name, string Summary, string Json);

    /// <param name="Type">The request record the endpoint reads.</param>
    /// <param name="OneOrBatch">The body is one <paramref name="Type"/>, or <c>{"items": [...]}</c> of them.</param>
    private sealed record Body(Type Type, bool Required, string Description, bool OneOrBatch, params Example[] Examples);

    private const string RuleGroupSchemaId = "RuleGroup";
    private const string RuleSchemaId = "Rule";

    private const string CustomerExample = """{"externalId": "c-1", "email": "asha@example.com", "name": "Asha Rao", "phone": "+91 98765 43210", "city": "Pune", "country": "IN", "signedUpAt": "2026-01-15T09:30:00Z"}""";
    private const string OrderExample = """{"externalId": "o-1", "customerExternalId": "c-1", "amount": 1499.50, "orderedAt": "2026-11-20T10:30:00Z"}""";
    private const string RulesExample = """
        {"op": "or", "rules": [
          {"op": "and", "rules": [
            {"field": "total_spend", "operator": "gt", "value": 10000},
            {"field": "last_order_at", "operator": "in_last_days", "value": 90}]},
          {"field": "city", "operator": "equals", "value": "Pune"}]}
        """;
    private const string CampaignExample = """{"name": "Win-back, November", "segmentId": 1, "template": "Hi {{ customer.name | default: 'there' }}, here is 10% off your next order."}""";

    /// <summary>The bodies that the endpoints read from the request themselves, by endpoint name.</summary>
    private static readonly Dictionary<string, Body> Bodies = new()
    {
        ["IngestCustomers"] = new(typeof(CustomerRecord), true, "One customer, or a batch of up to 1,000 as {\"items\": [...]}.", OneOrBatch: true,
            new Example("one", "One customer", CustomerExample),
            new Example("batch", "A batch", $$"""{"items": [{{CustomerExample}}, {"email": "vikram@example.com", "name": "Vikram Singh", "city": "Delhi"}]}""")),
        ["IngestOrders"] = new(typeof(OrderRequest), true, "One order, or a batch of up to 1,000 as {\"items\": [...]}; name the customer by customerExternalId or customerEmail.", OneOrBatch: true,
            new Example("one", "One order", OrderExample),
            new Example("batch", "A batch", $$"""{"items": [{{OrderExample}}, {"externalId": "o-2", "customerEmail": "vikram@example.com", "amount": 250}]}""")),
        ["PreviewSegment"] = new(typeof(SegmentsApi.PreviewRequest), true, "The rule tree to count.", OneOrBatch: false,
            new Example("rules", "Big recent spenders, or anyone in Pune", $$"""{"rules": {{RulesExample}}}""")),
        ["CreateSegment"] = new(typeof(SegmentsApi.SaveRequest), true, "A unique name and the rule tree.", OneOrBatch: false,
            new Example("segment", "A saved segment", $$"""{"name": "Big spenders or Pune", "rules": {{RulesExample}}}""")),
        ["UpdateSegment"] = new(typeof(SegmentsApi.SaveRequest), true, "The segment's new name and rule tree.", OneOrBatch: false,
            new Example("segment", "A saved segment", $$"""{"name": "Big spenders or Pune", "rules": {{RulesExample}}}""")),
        ["CreateCampaign"] = new(typeof(CampaignsApi.CampaignBody), true, "A draft: its name, the saved segment it goes to, and a Liquid template.", OneOrBatch: false,
            new Example("draft", "A draft", CampaignExample)),
        ["UpdateCampaign"] = new(typeof(CampaignsApi.CampaignBody), true, "The draft's new name, segment and template.", OneOrBatch: false,
            new Example("draft", "A draft", CampaignExample)),
        ["SendCampaign"] = new(typeof(CampaignsApi.SendBody), false, "No body to send now; a time (and the time zone it was chosen in) to schedule.", OneOrBatch: false,
            new Example("schedule", "Schedule", """{"at": "2026-12-01T09:00:00+05:30", "timeZone": "Asia/Kolkata"}""")),
        ["PreviewCampaignTemplate"] = new(typeof(CampaignsApi.TemplatePreviewBody), true, "A Liquid template and the segment whose customers to render it for.", OneOrBatch: false,
            new Example("preview", "Preview", """{"template": "Hi {{ customer.first_name | default: 'there' }}!", "segmentId": 1}""")),
    };

    private static OpenApiSchemaReference RuleGroupReference(OpenApiDocument? document) => new(RuleGroupSchemaId, document);

    private static OpenApiSchema RuleGroupSchema(OpenApiDocument document) => new()
    {
        Type = JsonSchemaType.Object,
        Description = "Rules combined with and/or; groups nest (depth and size bounded, see Segments:MaxDepth and MaxRules).",
        Required = new HashSet<string> { "op", "rules" },
        Properties = new Dictionary<string, IOpenApiSchema>
        {
            ["op"] = Enumeration("and", "or"),
            ["not"] = new OpenApiSchema { Type = JsonSchemaType.Boolean, Description = "Negates the whole group." },
            ["rules"] = new OpenApiSchema
            {
                Type = JsonSchemaType.Array,
                MinItems = 1,
                Items = new OpenApiSchema { OneOf = [new OpenApiSchemaReference(RuleSchemaId, document), RuleGroupReference(document)] },
            },
        },
    };

    private static OpenApiSchema RuleSchema() => new()
    {
        Type = JsonSchemaType.Object,
        Description = "field · operator · value; the operator must suit the field's type (text, number or date).",
        Required = new HashSet<string> { "field", "operator" },
        Properties = new Dictionary<string, IOpenApiSchema>
        {
            ["field"] = Enumeration([.. SegmentFields.All.Select(f => f.Name)]),
            ["operator"] = Enumeration([.. SegmentFields.All.SelectMany(f => SegmentFields.OperatorsFor(f.Type)).Distinct()]),
            ["value"] = new OpenApiSchema { Description = "A text, a number, a YYYY-MM-DD day, a number of days, or [low, high] for between; a list for in; none for is_empty." },
        },
    };

    private static OpenApiSchema Enumeration(params string[] values) =>
        new() { Type = JsonSchemaType.String, Enum = [.. values.Select(v => (JsonNode)JsonValue.Create(v))] };
}
