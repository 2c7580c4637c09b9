using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;
using XenoCrm.Core.Campaigns;
using XenoCrm.Core.Customers;
using XenoCrm.Core.Orders;
using XenoCrm.Core.Segments;
using XenoCrm.Web.Authentication;

namespace XenoCrm.Web.Api;

/// <summary>
/// API discovery: the OpenAPI document of every <c>/api/v1</c> endpoint at <c>/openapi/v1.json</c>, which the
/// API reference page (<c>/api-reference</c>) renders. The endpoints describe themselves (<c>WithName</c>,
/// <c>WithSummary</c>, typed results); what they cannot say — the bodies they read by hand, and the API key —
/// is added here, keyed by endpoint name.
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

    private static Task DescribeBody(OpenApiOperation operation, OpenApiOperationTransformerContext context, CancellationToken ct)
    {
        if (operation.OperationId is not { } name || !Bodies.TryGetValue(name, out var body))
        {
            return Task.CompletedTask;
        }
        operation.RequestBody = new OpenApiRequestBody
        {
            Required = body.Required,
            Description = body.Description,
            Content = new Dictionary<string, OpenApiMediaType>
            {
                ["application/json"] = new()
                {
                    Schema = body.Schema(context.Document),
                    Examples = body.Examples.ToDictionary(
                        e => e.Name,
                        e => (IOpenApiExample)new OpenApiExample { Summary = e.Summary, Value = JsonNode.Parse(e.Json) }),
                },
            },
        };
        return Task.CompletedTask;
    }

    private sealed record Example(string Name, string Summary, string Json);

    private sealed record Body(bool Required, string Description, Func<OpenApiDocument?, IOpenApiSchema> Schema, params Example[] Examples);

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
        ["IngestCustomers"] = new(true, "One customer, or a batch of up to 1,000 as {\"items\": [...]}.",
            _ => OneOrBatch(CustomerSchema()),
            new Example("one", "One customer", CustomerExample),
            new Example("batch", "A batch", $$"""{"items": [{{CustomerExample}}, {"email": "vikram@example.com", "name": "Vikram Singh", "city": "Delhi"}]}""")),
        ["IngestOrders"] = new(true, "One order, or a batch of up to 1,000 as {\"items\": [...]}; name the customer by customerExternalId or customerEmail.",
            _ => OneOrBatch(OrderSchema()),
            new Example("one", "One order", OrderExample),
            new Example("batch", "A batch", $$"""{"items": [{{OrderExample}}, {"externalId": "o-2", "customerEmail": "vikram@example.com", "amount": 250}]}""")),
        ["PreviewSegment"] = new(true, "The rule tree to count.",
            document => Object(["rules"], ("rules", RuleGroupReference(document))),
            new Example("rules", "Big recent spenders, or anyone in Pune", $$"""{"rules": {{RulesExample}}}""")),
        ["CreateSegment"] = new(true, "A unique name and the rule tree.", SegmentSchema,
            new Example("segment", "A saved segment", $$"""{"name": "Big spenders or Pune", "rules": {{RulesExample}}}""")),
        ["UpdateSegment"] = new(true, "The segment's new name and rule tree.", SegmentSchema,
            new Example("segment", "A saved segment", $$"""{"name": "Big spenders or Pune", "rules": {{RulesExample}}}""")),
        ["CreateCampaign"] = new(true, "A draft: its name, the saved segment it goes to, and a Liquid template.", _ => CampaignSchema(),
            new Example("draft", "A draft", CampaignExample)),
        ["UpdateCampaign"] = new(true, "The draft's new name, segment and template.", _ => CampaignSchema(),
            new Example("draft", "A draft", CampaignExample)),
        ["SendCampaign"] = new(false, "No body to send now; a time (and the time zone it was chosen in) to schedule.",
            _ => Object([],
                ("at", Text(format: "date-time", description: "When to send; ISO 8601 with an offset.")),
                ("timeZone", Text(description: "The IANA time zone the time was chosen in, e.g. Asia/Kolkata."))),
            new Example("schedule", "Schedule", """{"at": "2026-12-01T09:00:00+05:30", "timeZone": "Asia/Kolkata"}""")),
        ["PreviewCampaignTemplate"] = new(true, "A Liquid template and the segment whose customers to render it for.",
            _ => Object(["template", "segmentId"],
                ("template", Text(maxLength: Campaign.TemplateMaxLength, description: "Liquid; customer.name, customer.first_name, customer.email, customer.city, …")),
                ("segmentId", Integer())),
            new Example("preview", "Preview", """{"template": "Hi {{ customer.first_name | default: 'there' }}!", "segmentId": 1}""")),
    };

    private static OpenApiSchema CustomerSchema() => Object(["email", "name"],
        ("externalId", Text(maxLength: CustomerConfiguration.ExternalIdMaxLength, description: "Your id; customers are upserted by it, else by email.")),
        ("email", Text(format: "email", maxLength: CustomerConfiguration.EmailMaxLength, description: "Stored lower-case.")),
        ("name", Text(maxLength: CustomerConfiguration.NameMaxLength)),
        ("phone", Text(maxLength: CustomerConfiguration.PhoneMaxLength)),
        ("city", Text(maxLength: CustomerConfiguration.PlaceMaxLength)),
        ("country", Text(maxLength: CustomerConfiguration.PlaceMaxLength)),
        ("signedUpAt", Text(format: "date-time", description: "ISO 8601; without an offset it is taken as UTC.")));

    private static OpenApiSchema OrderSchema() => Object(["externalId", "amount"],
        ("externalId", Text(maxLength: OrderConfiguration.ExternalIdMaxLength, description: "Your id; an order is stored once per externalId.")),
        ("customerExternalId", Text(maxLength: CustomerConfiguration.ExternalIdMaxLength, description: "The customer's externalId (or give customerEmail).")),
        ("customerEmail", Text(format: "email", maxLength: CustomerConfiguration.EmailMaxLength, description: "The customer's email (or give customerExternalId).")),
        ("amount", new OpenApiSchema { Type = JsonSchemaType.Number, Minimum = "0", MultipleOf = 0.01m, Description = "At least 0, two decimals at most." }),
        ("orderedAt", Text(format: "date-time", description: "ISO 8601; defaults to now.")));

    private static OpenApiSchema SegmentSchema(OpenApiDocument? document) => Object(["name", "rules"],
        ("name", Text(maxLength: Segment.NameMaxLength, description: "Unique; trimmed.")),
        ("rules", RuleGroupReference(document)));

    private static OpenApiSchema CampaignSchema() => Object(["name", "segmentId", "template"],
        ("name", Text(maxLength: Campaign.NameMaxLength)),
        ("segmentId", Integer()),
        ("template", Text(maxLength: Campaign.TemplateMaxLength, description: "Liquid, e.g. Hi {{ customer.first_name | default: 'there' }}; checked on save.")));

    private static OpenApiSchema OneOrBatch(OpenApiSchema record) => new()
    {
        OneOf =
        [
            record,
            Object(["items"], ("items", new OpenApiSchema { Type = JsonSchemaType.Array, MinItems = 1, MaxItems = IngestionRequest.MaxItems, Items = record })),
        ],
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

    private static OpenApiSchema Object(string[] required, params (string Name, IOpenApiSchema Schema)[] properties) => new()
    {
        Type = JsonSchemaType.Object,
        Required = required.ToHashSet(),
        Properties = properties.ToDictionary(p => p.Name, p => p.Schema),
        AdditionalPropertiesAllowed = false,
    };

    private static OpenApiSchema Text(string? format = null, int? maxLength = null, string? description = null) =>
        new() { Type = JsonSchemaType.String, Format = format, MaxLength = maxLength, Description = description };

    private static OpenApiSchema Integer() => new() { Type = JsonSchemaType.Integer, Format = "int64" };

    private static OpenApiSchema Enumeration(params string[] values) =>
        new() { Type = JsonSchemaType.String, Enum = [.. values.Select(v => (JsonNode)JsonValue.Create(v))] };
}
