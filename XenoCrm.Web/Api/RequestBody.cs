using System.Collections.Concurrent;
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Http.HttpResults;
using XenoCrm.Core.Validation;

namespace XenoCrm.Web.Api;

/// <summary>How much of a body an endpoint reads: 413 past <see cref="MaxBytes"/>, 400 past <see cref="MaxDepth"/> levels of nesting.</summary>
internal sealed record BodyLimits(long MaxBytes, int MaxDepth, string TooLargeDetail);

/// <summary>A body read into its request record, and every mistake found on the way; <see cref="Refused"/> comes only with no <see cref="Value"/>.</summary>
internal sealed record BodyRead<T>(T? Value, ValidationErrors Errors, ProblemHttpResult? Refused) where T : class;

/// <summary>
/// The one way the API reads a JSON body into a typed request record. 415 unless JSON, 413 past the limit,
/// 400 for malformed JSON; then every member is checked against the record's System.Text.Json contract before
/// the record is made, so that one answer names every mistake — unknown members, values of the wrong type, at
/// any depth (<c>items[3].email</c>) — where a plain <c>Deserialize</c> stops at the first. What the values
/// must further be (lengths, ranges, references) is the feature's validation, into the same
/// <see cref="ValidationErrors"/>.
/// </summary>
internal static class RequestBody
{
    /// <summary>Members are camelCase and exact; numbers are numbers (never "12.50").</summary>
    public static readonly JsonSerializerOptions Options = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        NumberHandling = JsonNumberHandling.Strict,
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
        TypeInfoResolver = new DefaultJsonTypeInfoResolver(),
    };

    private static readonly ConcurrentDictionary<Type, Dictionary<string, JsonPropertyInfo>> Members = new();

    /// <summary>Reads the body as one <typeparamref name="T"/>: 415, 413, or the record with the mistakes it has.</summary>
    public static async Task<BodyRead<T>> ReadAsync<T>(HttpContext http, BodyLimits limits) where T : class
    {
        var errors = new ValidationErrors();
        var (document, refused) = await ParseAsync(http, limits, errors);
        if (document is null)
        {
            return new(null, errors, refused);
        }
        using (document)
        {
            return new(Bind<T>(document.RootElement, "", errors), errors, null);
        }
    }

    /// <summary>Parses the body within its limits; null with the reason (a refusal, or a mistake under <c>$</c>) when it cannot.</summary>
    public static async Task<(JsonDocument? Document, ProblemHttpResult? Refused)> ParseAsync(HttpContext http, BodyLimits limits, ValidationErrors errors)
    {
        var request = http.Request;
        if (!request.HasJsonContentType())
        {
            return (null, TypedResults.Problem(statusCode: StatusCodes.Status415UnsupportedMediaType,
                title: "Unsupported content type.", detail: "Send the body as application/json."));
        }
        var tooLarge = TypedResults.Problem(statusCode: StatusCodes.Status413PayloadTooLarge, title: "The body is too large.", detail: limits.TooLargeDetail);
        if (request.ContentLength > limits.MaxBytes)
        {
            return (null, tooLarge);
        }
        var sizeLimit = http.Features.Get<IHttpMaxRequestBodySizeFeature>();
        if (sizeLimit is { IsReadOnly: false })
        {
            sizeLimit.MaxRequestBodySize = limits.MaxBytes;
        }
        JsonDocument document;
        try
        {
            document = await JsonDocument.ParseAsync(request.Body, new JsonDocumentOptions { MaxDepth = limits.MaxDepth }, http.RequestAborted);
        }
        catch (BadHttpRequestException ex) when (ex.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            return (null, tooLarge);
        }
        catch (JsonException ex)
        {
            errors.Add(ValidationErrors.Body, $"The body is not valid JSON: {ex.Message}");
            return (null, null);
        }
        if (HasUnreadableText(document.RootElement))
        {
            document.Dispose();
            errors.Add(ValidationErrors.Body, "The body has a text that is not valid Unicode (a lone surrogate such as \\ud800).");
            return (null, null);
        }
        return (document, null);
    }

    /// <summary>
    /// Checks <paramref name="json"/> against <typeparamref name="T"/>'s contract, naming each mistake under
    /// <paramref name="path"/>, and makes the record from what is right: a member in error is left out (null),
    /// so that the feature's validation still sees, and judges, every other member.
    /// </summary>
    public static T? Bind<T>(JsonElement json, string path, ValidationErrors errors) where T : class
    {
        var typeInfo = (JsonTypeInfo<T>)Options.GetTypeInfo(typeof(T));
        var before = errors.Count;
        Check(json, typeInfo, path, errors, writer: null);
        if (errors.Count == before)
        {
            return json.Deserialize(typeInfo);
        }
        if (json.ValueKind != JsonValueKind.Object)
        {
            return null;
        }
        // Rewrite the body without what is wrong, and read that: no second copy of the record's contract.
        var buffer = new System.Buffers.ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            Check(json, typeInfo, path, new ValidationErrors(), writer);
        }
        return JsonSerializer.Deserialize(buffer.WrittenSpan, typeInfo);
    }

    private static void Check(JsonElement json, JsonTypeInfo typeInfo, string path, ValidationErrors errors, Utf8JsonWriter? writer)
    {
        switch (typeInfo.Kind)
        {
            case JsonTypeInfoKind.Object:
                if (json.ValueKind != JsonValueKind.Object)
                {
                    errors.Add(path, "Must be a JSON object.");
                    writer?.WriteNullValue();
                    return;
                }
                var members = MembersOf(typeInfo);
                writer?.WriteStartObject();
                foreach (var member in json.EnumerateObject())
                {
                    var memberPath = ValidationErrors.PathOf(path, member.Name);
                    if (!members.TryGetValue(member.Name, out var property))
                    {
                        errors.Add(memberPath, $"Unknown member. Allowed: {string.Join(", ", members.Keys)}.");
                        continue;
                    }
                    writer?.WritePropertyName(member.Name);
                    if (member.Value.ValueKind == JsonValueKind.Null)
                    {
                        writer?.WriteNullValue();
                        continue;
                    }
                    Check(member.Value, Options.GetTypeInfo(property.PropertyType), memberPath, errors, writer);
                }
                writer?.WriteEndObject();
                return;
            case JsonTypeInfoKind.Enumerable when typeInfo.ElementType is { } elementType:
                if (json.ValueKind != JsonValueKind.Array)
                {
                    errors.Add(path, "Must be an array.");
                    writer?.WriteNullValue();
                    return;
                }
                var elementInfo = Options.GetTypeInfo(elementType);
                writer?.WriteStartArray();
                var index = 0;
                foreach (var element in json.EnumerateArray())
                {
                    Check(element, elementInfo, $"{path}[{index++}]", errors, writer);
                }
                writer?.WriteEndArray();
                return;
            default:
                if (typeInfo.Type != typeof(JsonElement) && typeInfo.Type != typeof(JsonElement?))
                {
                    try
                    {
                        json.Deserialize(typeInfo);
                    }
                    catch (JsonException)
                    {
                        errors.Add(path, WrongType(typeInfo.Type));
                        writer?.WriteNullValue();
                        return;
                    }
                }
                if (writer is not null)
                {
                    json.WriteTo(writer);
                }
                return;
        }
    }

    private static Dictionary<string, JsonPropertyInfo> MembersOf(JsonTypeInfo typeInfo) =>
        Members.GetOrAdd(typeInfo.Type, _ => typeInfo.Properties.ToDictionary(p => p.Name, StringComparer.Ordinal));

    /// <summary>Says what the member must be in the API's terms, not .NET's.</summary>
    private static string WrongType(Type type) => (Nullable.GetUnderlyingType(type) ?? type) switch
    {
        var t when t == typeof(string) => "Wrong type: must be a string.",
        var t when t == typeof(int) || t == typeof(long) => "Wrong type: must be a whole number.",
        var t when t == typeof(decimal) || t == typeof(double) => "Wrong type: must be a number.",
        var t when t == typeof(bool) => "Wrong type: must be true or false.",
        var t when t == typeof(DateTime) || t == typeof(DateTimeOffset) => "Must be an ISO 8601 date-time, e.g. 2024-05-01T10:30:00Z.",
        _ => "Wrong type for this member (see the API reference).",
    };

    /// <summary>
    /// JSON may escape half a surrogate pair ("\ud800"), which parses but cannot become a .NET
    /// string: reading it throws, so such a body is refused before anything reads its texts.
    /// </summary>
    private static bool HasUnreadableText(JsonElement json)
    {
        try
        {
            return json.ValueKind switch
            {
                JsonValueKind.String => json.GetString() is null,
                JsonValueKind.Array => json.EnumerateArray().Any(HasUnreadableText),
                JsonValueKind.Object => json.EnumerateObject().Any(m => m.Name is null || HasUnreadableText(m.Value)),
                _ => false,
            };
        }
        catch (InvalidOperationException)
        {
            return true;
        }
    }

    /// <summary>The 400 answer: problem details with every mistake by field.</summary>
    public static ValidationProblem Invalid(ValidationErrors errors, string title) =>
        TypedResults.ValidationProblem(errors.ByField(), title: title);
}
