using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using XenoCrm.Core.Segments;

namespace XenoCrm.IntegrationTests.ApiDiscovery;

/// <summary>What a generated request tries: a valid one, or one thing wrong with it.</summary>
internal enum FuzzKind
{
    Valid,
    InvalidBody,
    Query,
    PathId,
    Headers,
    Method,
}

/// <summary>One generated request, and enough about it to send it again by hand.</summary>
internal sealed record FuzzRequest(
    FuzzKind Kind, string Variation, ApiOperation Operation, string Method, string PathAndQuery,
    byte[]? Body, string? ContentType, IReadOnlyList<KeyValuePair<string, string>> Headers)
{
    public HttpRequestMessage ToMessage()
    {
        var message = new HttpRequestMessage(new HttpMethod(Method), new Uri("http://localhost" + PathAndQuery));
        if (Body is not null)
        {
            message.Content = new ByteArrayContent(Body);
            if (ContentType is not null)
            {
                message.Content.Headers.TryAddWithoutValidation("Content-Type", ContentType);
            }
        }
        foreach (var (name, value) in Headers)
        {
            message.Headers.TryAddWithoutValidation(name, value);
        }
        return message;
    }

    /// <summary>The request as a person would read it: method, URL, headers (the API key hidden) and the start of the body.</summary>
    public string Describe()
    {
        var text = new StringBuilder().Append(CultureInfo.InvariantCulture, $"{Kind}/{Variation} for {Operation.OperationId}: {Method} {Shorten(PathAndQuery, 300)}");
        foreach (var (name, value) in Headers)
        {
            text.Append(CultureInfo.InvariantCulture, $"\n  {name}: {(name == "X-Api-Key" && value.StartsWith("xcrm_", StringComparison.Ordinal) ? "xcrm_…" : Shorten(value, 120))}");
        }
        if (Body is not null)
        {
            text.Append(CultureInfo.InvariantCulture, $"\n  Content-Type: {ContentType ?? "(none)"}\n  body ({Body.Length} bytes): {Shorten(Encoding.UTF8.GetString(Body), 400)}");
        }
        return text.ToString();
    }

    public static string Shorten(string text, int length) => text.Length <= length ? text : text[..length] + $"… ({text.Length} chars)";
}

/// <summary>Ids the app has answered with, by collection (<c>segments</c>, <c>campaigns</c>, …), so that valid requests name things that exist.</summary>
internal sealed class KnownIds
{
    private readonly Dictionary<string, List<long>> _byResource = new(StringComparer.Ordinal);

    public IReadOnlyList<long> Of(string resource) => _byResource.TryGetValue(resource, out var ids) ? ids : [];

    public void Add(string resource, long id)
    {
        if (!_byResource.TryGetValue(resource, out var ids))
        {
            _byResource[resource] = ids = [];
        }
        if (!ids.Contains(id))
        {
            ids.Add(id);
        }
    }

    public void Remove(string resource, long id)
    {
        if (_byResource.TryGetValue(resource, out var ids))
        {
            ids.Remove(id);
        }
    }
}

/// <summary>
/// Requests for the operations of an OpenAPI document, from one <see cref="Random"/>: valid ones generated from each
/// operation's schemas (types, required members, enums, bounds, formats, <c>$ref</c>s), and ones with a single thing
/// wrong — the body, a query value, the path's id, a header or the method. What a schema cannot say (a customer's email is
/// an address, a rule's operator must suit its field, a segmentId must exist) comes from a few hints by member name and
/// from the segment catalog the parser checks against, so that most valid requests really are valid.
/// </summary>
internal sealed class ApiRequestGenerator(ApiSchemas schemas, Random random, string apiKey, KnownIds known)
{
    private const string ApiKeyHeader = "X-Api-Key";
    private const string Json = "application/json";

    private static readonly string[] Templates =
    [
        "Hi {{ customer.first_name | default: 'there' }}!",
        "Hello {{ customer.name }}, from {{ customer.city | default: 'your city' }}.",
        "Plain text, no Liquid at all.",
        "{% if customer.city == 'Pune' %}Namaste{% else %}Hello{% endif %} {{ customer.email }}",
    ];

    private static readonly string[] TimeZones = ["Asia/Kolkata", "UTC", "Europe/Berlin", "America/New_York"];
    private static readonly string[] Cities = ["Pune", "Delhi", "Mumbai", "Chennai"];

    /// <summary>Texts a number or a date should never be read from.</summary>
    private static readonly string[] NotANumber = ["NaN", "Infinity", "-Infinity", "1e999", "0x1F", "", " ", "null", "true", "١٢٣", "12,5", "1_000", "--1", "+", "٫"];

    /// <summary>Number literals past what any member's type holds, written raw (a JSON number, not a string).</summary>
    private static readonly string[] HugeNumbers =
    [
        "1e400", "-1e400", "9223372036854775808", "-9223372036854775809", "18446744073709551616", "99999999999999999999999999999999",
        "1.7976931348623157e309", "0.000000000000000000000000000000000001", "-0", "1E+2", "2147483648", "123456789012345678901234567890.55",
        "1.000000000000000000000000000001", "4.9e-325",
    ];

    /// <summary>Query values a client might send by mistake or on purpose, already URL-encoded.</summary>
    private static readonly string[] QueryValues =
    [
        "0", "-1", "2147483647", "2147483648", "-2147483649", "9223372036854775808", "99999999999999999999", "abc", "1.5", "1e3",
        "", "%20", "%2B1", "%201%20", "0x10", "%D9%A1%D9%A2", "%00", "%ZZ", "%ED%A0%80", "%FF%FE", "NaN", "Infinity", "null", "true",
        new string('9', 4000), "%27%3B%20DROP%20TABLE%20customers%3B%20--", "%25", "_%25_", "%5B%5D", "%E2%80%AE",
    ];

    /// <summary>
    /// Path ids the route constraint or the handler must refuse, already URL-encoded. Not %00: Kestrel refuses a NUL in
    /// the path with its own 400 before any middleware runs (and the in-memory server will not send one).
    /// </summary>
    private static readonly string[] PathIds =
    [
        "0", "-1", "-9223372036854775808", "9223372036854775807", "9223372036854775808", "99999999999999999999999", "abc", "1.5", "1e3",
        "%2B1", "%20", "%2F", "%ED%A0%80", "%FF", "1%3Bx", "1%3F", "%EF%BC%90", new string('7', 1000), "null", "%E2%80%AE1",
    ];

    private static readonly string[] WrongKeys =
    [
        "xcrm_0000000000000000000000000000000000000000", "xcrm_", "", " ", "Bearer abc", "xcrm_" + new string('a', 5000), "ünïcødé",
        "xcrm_%00", "null",
    ];

    private static readonly string[] Accepts = ["text/html", "application/xml", "text/plain", "*/*", "application/json;q=0", "!!!", "image/png, text/html;q=0.9", ""];

    private static readonly string[] ContentTypes =
    [
        "text/plain", "application/xml", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", "application/jsonx",
        "application/json; charset=utf-16", "Application/JSON", "application/merge-patch+json", "text/json", "application/json;;;",
        "application/json; charset=nonsense", "json", "*/*", "application/",
    ];

    private static readonly string[] OddMethods = ["GET", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "TRACE", "HEAD"];

    private int _sequence;

    public FuzzRequest Next(ApiOperation operation, IReadOnlySet<string> methodsOfPath)
    {
        // The weights favour what an operation has: a body to break, a query to garble, an id to mangle.
        var weights = new (FuzzKind Kind, int Weight)[]
        {
            (FuzzKind.Valid, 35),
            (FuzzKind.InvalidBody, operation.BodySchema is null ? 4 : 35),
            (FuzzKind.Query, operation.Query.Any() ? 25 : 4),
            (FuzzKind.PathId, operation.PathParameters.Any() ? 15 : 0),
            (FuzzKind.Headers, 12),
            (FuzzKind.Method, 4),
        };
        var pick = random.Next(weights.Sum(w => w.Weight));
        var kind = weights.First(w => (pick -= w.Weight) < 0).Kind;
        var request = kind switch
        {
            FuzzKind.Valid => Valid(operation),
            FuzzKind.InvalidBody => InvalidBody(operation),
            FuzzKind.Query => WrongQuery(operation),
            FuzzKind.PathId => WrongPathId(operation),
            FuzzKind.Headers => WrongHeaders(operation),
            _ => WrongMethod(operation, methodsOfPath),
        };
        // Now and then a broken request asks for another representation too: its 4xx must still be a problem document.
        if (kind is not (FuzzKind.Valid or FuzzKind.Headers) && random.Next(6) == 0)
        {
            var accept = Accepts[random.Next(Accepts.Length)];
            request = request with
            {
                Variation = $"{request.Variation}, Accept: {accept}",
                Headers = [.. request.Headers.Where(h => h.Key != "Accept"), new("Accept", accept)],
            };
        }
        return request;
    }

    /// <summary>A request the schemas allow, naming ids that exist where the app has answered with some.</summary>
    public FuzzRequest Valid(ApiOperation operation)
    {
        var body = ValidBody(operation);
        return new FuzzRequest(FuzzKind.Valid, "valid", operation, operation.Method, PathWith(operation, ValidId(operation), ValidQuery(operation)),
            body is null ? null : Encoding.UTF8.GetBytes(body.ToJsonString()), body is null ? null : Json, ValidHeaders());
    }

    private JsonNode? ValidBody(ApiOperation operation)
    {
        if (operation.BodySchema is null)
        {
            return null;
        }
        // A body the operation does not require is left out half the time, as its clients do (send now = no body).
        if (!operation.BodyRequired && random.Next(2) == 0)
        {
            return null;
        }
        return ValidValue(operation.BodySchema, member: null, depth: 0);
    }

    private List<KeyValuePair<string, string>> ValidHeaders() => [new(ApiKeyHeader, apiKey), new("Accept", Json)];

    private string ValidId(ApiOperation operation)
    {
        var ids = known.Of(operation.Resource);
        return ids.Count > 0 && random.Next(10) > 0
            ? ids[random.Next(ids.Count)].ToString(CultureInfo.InvariantCulture)
            : random.Next(1, 50).ToString(CultureInfo.InvariantCulture);
    }

    private List<KeyValuePair<string, string>> ValidQuery(ApiOperation operation)
    {
        var query = new List<KeyValuePair<string, string>>();
        foreach (var parameter in operation.Query)
        {
            if (parameter.Required || random.Next(10) < 6)
            {
                query.Add(new(parameter.Name, Uri.EscapeDataString(ValidQueryValue(parameter))));
            }
        }
        return query;
    }

    private string ValidQueryValue(ApiParameter parameter) => parameter.Name switch
    {
        // Small pages of small lists: a valid page is one that exists.
        "page" => random.Next(1, 4).ToString(CultureInfo.InvariantCulture),
        "pageSize" => random.Next(1, 101).ToString(CultureInfo.InvariantCulture),
        "status" => MessageStatuses()[random.Next(MessageStatuses().Count)],
        "customerId" => ValidIdOf("customers"),
        "email" => $"seed{random.Next(FuzzData.Customers)}@shop.test",
        "externalId" => $"seed-{random.Next(FuzzData.Customers)}",
        _ => ValidValue(parameter.Schema, parameter.Name, depth: 0) switch
        {
            JsonValue value when value.TryGetValue<string>(out var text) => text,
            var other => other?.ToJsonString() ?? "",
        },
    };

    private string ValidIdOf(string resource)
    {
        var ids = known.Of(resource);
        return ids.Count > 0 ? ids[random.Next(ids.Count)].ToString(CultureInfo.InvariantCulture) : "1";
    }

    /// <summary>The message log's statuses, as the document's MessageStatus enum lists them, in the lower case the filter takes.</summary>
    private List<string> MessageStatuses() =>
        schemas.Document["components"]?["schemas"]?["MessageStatus"]?["enum"] is JsonArray statuses
            ? statuses.Select(s => s!.GetValue<string>().ToLowerInvariant()).ToList()
            : ["sent"];

    private static string PathWith(ApiOperation operation, string id, IEnumerable<KeyValuePair<string, string>> query)
    {
        var path = operation.PathParameters.Aggregate(operation.Path, (p, parameter) => p.Replace($"{{{parameter.Name}}}", id, StringComparison.Ordinal));
        var pairs = query.Select(q => $"{q.Key}={q.Value}").ToList();
        return pairs.Count == 0 ? path : $"{path}?{string.Join('&', pairs)}";
    }

    // ----- valid values from a schema -----

    /// <summary>A value <paramref name="schema"/> allows; <paramref name="member"/> is the member's name, for the hints.</summary>
    /// <param name="required">
    /// A required member is never null, though its schema may allow it: the document marks the records' members that
    /// have no default as required and their nullable types as nullable, and the validation refuses most of them null.
    /// </param>
    public JsonNode? ValidValue(JsonNode schema, string? member, int depth, bool required = false)
    {
        var (resolved, component) = schemas.Resolve(schema);
        if (Hint(component, member) is { } hinted)
        {
            return hinted;
        }
        if (resolved["oneOf"] is JsonArray oneOf)
        {
            // Deep down, the first alternative (a rule rather than a nested group), so that trees end.
            var choice = depth > 6 ? oneOf[0]! : oneOf[random.Next(oneOf.Count)]!;
            return ValidValue(choice, member, depth + 1);
        }
        if (resolved["enum"] is JsonArray values)
        {
            return values[random.Next(values.Count)]?.DeepClone();
        }
        var types = ApiSchemas.TypesOf(resolved);
        if (!required && types.Contains("null") && types.Count > 1 && random.Next(10) == 0)
        {
            return null;
        }
        // ["integer", "string"] is a number a reader would also take as a string: send it as the number it is.
        var type = types.FirstOrDefault(t => t is not "null" and not "string") ?? types.FirstOrDefault(t => t != "null");
        return type switch
        {
            "object" => ValidObject(resolved, depth),
            "array" => ValidArray(resolved, member, depth),
            "integer" => JsonValue.Create(ValidInteger(resolved)),
            "number" => JsonValue.Create(ValidNumber(resolved)),
            "boolean" => JsonValue.Create(random.Next(2) == 0),
            "string" => JsonValue.Create(ValidString(resolved)),
            _ => AnyScalar(),
        };
    }

    private JsonObject ValidObject(JsonObject schema, int depth)
    {
        var result = new JsonObject();
        var required = ApiSchemas.RequiredOf(schema);
        foreach (var (name, property) in schema["properties"] as JsonObject ?? [])
        {
            if (required.Contains(name) || random.Next(10) < 6)
            {
                result[name] = ValidValue(property!, name, depth + 1, required.Contains(name));
            }
        }
        return result;
    }

    private JsonArray ValidArray(JsonObject schema, string? member, int depth)
    {
        var min = schema["minItems"]?.GetValue<int>() ?? 0;
        var max = Math.Min(schema["maxItems"]?.GetValue<int>() ?? int.MaxValue, min + 3);
        var array = new JsonArray();
        var count = random.Next(min, max + 1);
        for (var i = 0; i < count; i++)
        {
            array.Add(schema["items"] is { } items ? ValidValue(items, member, depth + 1) : AnyScalar());
        }
        return array;
    }

    private long ValidInteger(JsonObject schema)
    {
        var min = (long)(schema["minimum"]?.GetValue<double>() ?? 1);
        var max = (long)Math.Min(schema["maximum"]?.GetValue<double>() ?? 1000, 1000);
        return random.NextInt64(min, Math.Max(min, max) + 1);
    }

    private decimal ValidNumber(JsonObject schema)
    {
        var min = (decimal)(schema["minimum"]?.GetValue<double>() ?? 0);
        var max = Math.Min((decimal)(schema["maximum"]?.GetValue<double>() ?? 100_000), 100_000m);
        return Math.Round(min + (max - min) * (decimal)random.NextDouble(), 2);
    }

    private string ValidString(JsonObject schema)
    {
        switch (schema["format"]?.GetValue<string>())
        {
            case "date-time":
                return new DateTime(2020, 1, 1, 0, 0, 0, DateTimeKind.Utc).AddMinutes(random.Next(0, 60 * 24 * 365 * 5)).ToString("O", CultureInfo.InvariantCulture);
            case "date":
                return new DateOnly(2020, 1, 1).AddDays(random.Next(0, 2000)).ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
            case "email":
                return UniqueEmail();
        }
        var min = schema["minLength"]?.GetValue<int>() ?? 1;
        var max = Math.Min(schema["maxLength"]?.GetValue<int>() ?? 40, 40);
        return Word(random.Next(Math.Max(1, min), Math.Max(min, max) + 1));
    }

    /// <summary>What the schemas cannot say, by member (and by component for a rule); null when no hint applies.</summary>
    private JsonNode? Hint(string? component, string? member)
    {
        if (component == "Rule")
        {
            return ValidRule();
        }
        return member switch
        {
            "email" or "customerEmail" => UniqueEmail(),
            "externalId" => $"fuzz-{Next()}",
            // An order for a customer that exists, so that the worker would store it.
            "customerExternalId" => $"seed-{random.Next(FuzzData.Customers)}",
            "name" => $"Fuzz {Next()}",
            "phone" => "+91 98765 43210",
            "city" => Cities[random.Next(Cities.Length)],
            "segmentId" => known.Of("segments") is { Count: > 0 } segments ? segments[random.Next(segments.Count)] : 1,
            "template" => Templates[random.Next(Templates.Length)],
            "timeZone" => TimeZones[random.Next(TimeZones.Length)],
            // A schedule is in the future.
            "at" => DateTimeOffset.UtcNow.AddDays(random.Next(1, 365)).ToString("O", CultureInfo.InvariantCulture),
            _ => null,
        };
    }

    /// <summary>A rule the parser accepts: a field of the catalog, an operator of its type, and a value that operator takes.</summary>
    private JsonObject ValidRule()
    {
        var field = SegmentFields.All[random.Next(SegmentFields.All.Count)];
        var operators = SegmentFields.OperatorsFor(field.Type);
        var op = operators[random.Next(operators.Count)];
        var rule = new JsonObject { ["field"] = field.Name, ["operator"] = op };
        JsonNode? value = (op, field.Type) switch
        {
            (Operators.IsEmpty or Operators.IsNotEmpty, _) => null,
            (Operators.In, _) => new JsonArray(Cities.Take(random.Next(1, Cities.Length + 1)).Select(c => (JsonNode)c).ToArray()),
            (Operators.InLastDays or Operators.MoreThanDaysAgo, _) => random.Next(1, 3650),
            (Operators.Between, FieldType.Number) => new JsonArray(random.Next(0, 100), random.Next(100, 10_000)),
            (Operators.Between, _) => new JsonArray(Day(2020), Day(2024)),
            (_, FieldType.Number) => random.Next(0, 10_000),
            (_, FieldType.Date) => Day(2018),
            _ => Cities[random.Next(Cities.Length)],
        };
        if (value is not null)
        {
            rule["value"] = value;
        }
        return rule;
    }

    private string Day(int fromYear) => new DateOnly(fromYear, 1, 1).AddDays(random.Next(0, 365)).ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);

    private string UniqueEmail() => $"fuzz{Next()}@shop.test";

    private int Next() => Interlocked.Increment(ref _sequence) * 1000 + random.Next(1000);

    private string Word(int length)
    {
        var text = new StringBuilder(length);
        for (var i = 0; i < length; i++)
        {
            text.Append((char)('a' + random.Next(26)));
        }
        return text.ToString();
    }

    private JsonNode? AnyScalar() => random.Next(5) switch
    {
        0 => Word(random.Next(1, 12)),
        1 => random.Next(-1000, 1000),
        2 => random.Next(2) == 0,
        3 => null,
        _ => Math.Round(random.NextDouble() * 1000, 3),
    };

    // ----- one thing wrong -----

    private FuzzRequest InvalidBody(ApiOperation operation)
    {
        var valid = operation.BodySchema is null ? new JsonObject { ["unexpected"] = "body" } : ValidValue(operation.BodySchema, null, 0);
        var (body, variation) = Mutate(valid);
        return new FuzzRequest(FuzzKind.InvalidBody, variation, operation, operation.Method, PathWith(operation, ValidId(operation), ValidQuery(operation)),
            body, Json, ValidHeaders());
    }

    /// <summary>The valid body with one thing wrong, as bytes (some mistakes are not JSON at all), and what was done.</summary>
    private (byte[] Body, string Variation) Mutate(JsonNode? valid)
    {
        var root = valid?.DeepClone() ?? new JsonObject();
        var raw = new List<byte[]>();
        string variation;
        switch (random.Next(17))
        {
            case 0:
                variation = "wrong type: " + Replace(root, WrongType());
                break;
            case 1:
                variation = "member removed: " + RemoveMember(root);
                break;
            case 2:
                var objects = Objects(root);
                if (objects.Count == 0)
                {
                    objects = [(JsonObject)(root = new JsonObject())];
                }
                objects[random.Next(objects.Count)][$"unexpected{random.Next(100)}"] = AnyScalar();
                variation = "unknown member";
                break;
            case 3:
                var number = HugeNumbers[random.Next(HugeNumbers.Length)];
                variation = $"number {number}: " + Replace(root, RawMarker(raw, number));
                break;
            case 4:
                var notANumber = NotANumber[random.Next(NotANumber.Length)];
                variation = $"text '{notANumber}': " + Replace(root, notANumber);
                break;
            case 5:
                int[] lengths = [101, 201, 255, 1001, 10_001, 70_000, 300_000, 2_200_000];
                var length = lengths[random.Next(lengths.Length)];
                string[] units = ["a", "é", "😀"];
                var unit = units[random.Next(units.Length)];
                variation = $"text of {length} × '{unit}': " + Replace(root, new StringBuilder().Insert(0, unit, length).ToString());
                break;
            case 6:
                int[] depths = [9, 33, 65, 1000, 5000];
                var depth = depths[random.Next(depths.Length)];
                var nested = random.Next(2) == 0
                    ? new string('[', depth) + "1" + new string(']', depth)
                    : string.Concat(Enumerable.Repeat("{\"a\":", depth)) + "1" + new string('}', depth);
                variation = $"nested {depth} deep: " + Replace(root, RawMarker(raw, nested));
                break;
            case 7:
                string[] surrogates = ["\"\\ud800\"", "\"a\\udfffb\"", "\"\\ud83d\"", "\"\\udc00\\ud800\""];
                var surrogate = surrogates[random.Next(surrogates.Length)];
                variation = $"lone surrogate {surrogate}: " + Replace(root, RawMarker(raw, surrogate));
                break;
            case 8:
                variation = "invalid UTF-8: " + Replace(root, RawMarker(raw, [(byte)'"', 0xC3, 0x28, 0xFF, 0xFE, (byte)'"']));
                break;
            case 9:
                return Malformed(Encoding.UTF8.GetBytes(root.ToJsonString()));
            case 10:
                return ([], "empty body");
            case 11:
                string[] roots = ["null", "[]", "\"text\"", "42", "true", "{}", $"[{root.ToJsonString()}]", $"{{\"items\": {root.ToJsonString()}}}", "{\"items\": []}", "{\"items\": null}"];
                var other = roots[random.Next(roots.Length)];
                return (Encoding.UTF8.GetBytes(other), "root " + RequestShorten(other));
            case 12:
                var groups = random.Next(6, 40);
                var tree = string.Concat(Enumerable.Repeat("{\"op\":\"and\",\"rules\":[", groups)) + "{\"field\":\"city\",\"operator\":\"equals\",\"value\":\"Pune\"}" + string.Concat(Enumerable.Repeat("]}", groups));
                variation = $"groups nested {groups} deep: " + Replace(root, RawMarker(raw, tree));
                break;
            case 13:
                var width = random.Next(2) == 0 ? 1001 : 20_000;
                var wide = new JsonArray(Enumerable.Range(0, width).Select(i => (JsonNode)new JsonObject { ["field"] = "city", ["operator"] = "equals", ["value"] = $"c{i}" }).ToArray());
                variation = $"array of {width}: " + Replace(root, wide);
                break;
            case 14:
                var text = root.ToJsonString();
                if (root is JsonObject { Count: > 0 } withMembers)
                {
                    var first = withMembers.First().Key;
                    text = $"{{\"{first}\": 1, {text[1..]}";
                }
                return (Encoding.UTF8.GetBytes(text), "duplicate member");
            case 15:
                string[] oddTexts = ["\0", "a\u0000b", "\u202Eevil", "\uFEFF", "e\u0301\u0301\u0301", "{{ customer.email }}", "{% raw %}", "<script>alert(1)</script>", "'; DROP TABLE customers; --", "%", "_", "\\"];
                var odd = oddTexts[random.Next(oddTexts.Length)];
                variation = $"text '{RequestShorten(odd)}': " + Replace(root, odd);
                break;
            default:
                variation = "many members";
                var many = Objects(root).FirstOrDefault() ?? (JsonObject)(root = new JsonObject());
                for (var i = 0; i < 3000; i++)
                {
                    many[$"m{i}"] = i;
                }
                break;
        }
        return (Serialize(root, raw), variation);
    }

    private static string RequestShorten(string text) => FuzzRequest.Shorten(text, 60);

    /// <summary>Replaces a random value of the tree (or the whole tree when it has none) with <paramref name="value"/>; says where.</summary>
    private string Replace(JsonNode root, JsonNode? value)
    {
        var slots = Slots(root);
        if (slots.Count == 0)
        {
            if (root is JsonObject rootObject)
            {
                rootObject["value"] = value;
                return "value";
            }
            return "(root)";
        }
        var (parent, member, index, path) = slots[random.Next(slots.Count)];
        if (member is not null)
        {
            ((JsonObject)parent)[member] = value;
        }
        else
        {
            ((JsonArray)parent)[index] = value;
        }
        return path;
    }

    private string RemoveMember(JsonNode root)
    {
        var members = Slots(root).Where(s => s.Member is not null).ToList();
        if (members.Count == 0)
        {
            return "(none)";
        }
        var (parent, member, _, path) = members[random.Next(members.Count)];
        ((JsonObject)parent).Remove(member!);
        return path;
    }

    private JsonNode? WrongType() => random.Next(7) switch
    {
        0 => "a text",
        1 => 12345,
        2 => true,
        3 => new JsonArray(1, "two", null),
        4 => new JsonObject { ["nested"] = "object" },
        5 => null,
        _ => -1.5,
    };

    /// <summary>Every value inside the tree, with its parent and its path (<c>items[0].email</c>).</summary>
    private static List<(JsonNode Parent, string? Member, int Index, string Path)> Slots(JsonNode root)
    {
        var slots = new List<(JsonNode, string?, int, string)>();
        void Walk(JsonNode? node, string path)
        {
            switch (node)
            {
                case JsonObject obj:
                    foreach (var (name, child) in obj)
                    {
                        var childPath = path.Length == 0 ? name : $"{path}.{name}";
                        slots.Add((obj, name, -1, childPath));
                        Walk(child, childPath);
                    }
                    break;
                case JsonArray array:
                    for (var i = 0; i < array.Count; i++)
                    {
                        slots.Add((array, null, i, $"{path}[{i}]"));
                        Walk(array[i], $"{path}[{i}]");
                    }
                    break;
            }
        }
        Walk(root, "");
        return slots;
    }

    private static List<JsonObject> Objects(JsonNode root) =>
        [.. new[] { root }.OfType<JsonObject>(), .. Slots(root).Select(s => s.Member is null ? ((JsonArray)s.Parent)[s.Index] : ((JsonObject)s.Parent)[s.Member]).OfType<JsonObject>()];

    /// <summary>A placeholder that <see cref="Serialize"/> swaps for bytes no <see cref="JsonNode"/> can hold (1e400, "\ud800", invalid UTF-8).</summary>
    private static JsonValue RawMarker(List<byte[]> raw, string text) => RawMarker(raw, Encoding.UTF8.GetBytes(text));

    private static JsonValue RawMarker(List<byte[]> raw, byte[] bytes)
    {
        raw.Add(bytes);
        return JsonValue.Create($"@@raw{raw.Count - 1}@@");
    }

    private static byte[] Serialize(JsonNode root, List<byte[]> raw)
    {
        var text = root.ToJsonString();
        var output = new List<byte>();
        var position = 0;
        while (position < text.Length)
        {
            var next = text.IndexOf("\"@@raw", position, StringComparison.Ordinal);
            if (next < 0)
            {
                output.AddRange(Encoding.UTF8.GetBytes(text[position..]));
                break;
            }
            var end = text.IndexOf("@@\"", next + 6, StringComparison.Ordinal);
            output.AddRange(Encoding.UTF8.GetBytes(text[position..next]));
            output.AddRange(raw[int.Parse(text[(next + 6)..end], CultureInfo.InvariantCulture)]);
            position = end + 3;
        }
        return [.. output];
    }

    private (byte[] Body, string Variation) Malformed(byte[] valid)
    {
        var text = Encoding.UTF8.GetString(valid);
        switch (random.Next(10))
        {
            case 0:
                var cut = random.Next(0, Math.Max(1, text.Length - 1));
                return (Encoding.UTF8.GetBytes(text[..cut]), $"truncated at {cut}");
            case 1:
                return (Encoding.UTF8.GetBytes(text + "}}]garbage"), "trailing garbage");
            case 2:
                return (Encoding.UTF8.GetBytes(text.Replace('"', '\'')), "single quotes");
            case 3:
                return (Encoding.UTF8.GetBytes(text.Length > 1 ? text[..^1] + ",}" : "{,}"), "trailing comma");
            case 4:
                return (Encoding.UTF8.GetBytes("/* comment */" + text), "comment");
            case 5:
                return ([0xEF, 0xBB, 0xBF, .. valid], "byte-order mark");
            case 6:
                return ([.. valid.Take(valid.Length / 2), 0x00, .. valid.Skip(valid.Length / 2)], "NUL byte");
            case 7:
                var bytes = new byte[random.Next(1, 200)];
                random.NextBytes(bytes);
                return (bytes, "random bytes");
            case 8:
                return (Encoding.Unicode.GetBytes(text), "UTF-16 bytes");
            default:
                string[] fragments = ["{", "}", "nul", "[1,2", "{\"a\":}", "{\"a\" 1}", "\"unterminated", "{\"a\":1}{\"b\":2}", "NaN", "undefined"];
                var fragment = fragments[random.Next(fragments.Length)];
                return (Encoding.UTF8.GetBytes(fragment), "fragment " + fragment);
        }
    }

    private FuzzRequest WrongQuery(ApiOperation operation)
    {
        var query = ValidQuery(operation);
        var declared = operation.Query.ToList();
        var variation = "";
        var choice = random.Next(4);
        if (declared.Count > 0 && choice < 2)
        {
            var parameter = declared[random.Next(declared.Count)];
            var value = QueryValues[random.Next(QueryValues.Length)];
            query.RemoveAll(q => q.Key == parameter.Name);
            query.Add(new(parameter.Name, value));
            variation = $"{parameter.Name}={RequestShorten(value)}";
        }
        else if (declared.Count > 0 && choice == 2)
        {
            var parameter = declared[random.Next(declared.Count)];
            query.Add(new(parameter.Name, "1"));
            query.Add(new(parameter.Name, "2"));
            variation = $"{parameter.Name} repeated";
        }
        var pairs = query.Select(q => $"{q.Key}={q.Value}").ToList();
        if (declared.Count == 0 || choice == 3)
        {
            string[] unknown = ["foo=bar", "page[]=1", "%00=1", "=1", "&&", "pageSize", "sort=id;DROP", "x=" + new string('x', 3000)];
            var extra = unknown[random.Next(unknown.Length)];
            pairs.Add(extra);
            variation = "unknown parameter " + RequestShorten(extra);
        }
        var path = PathWith(operation, ValidId(operation), []);
        var body = ValidBody(operation);
        return new FuzzRequest(FuzzKind.Query, variation, operation, operation.Method, $"{path}?{string.Join('&', pairs)}",
            body is null ? null : Encoding.UTF8.GetBytes(body.ToJsonString()), body is null ? null : Json, ValidHeaders());
    }

    private FuzzRequest WrongPathId(ApiOperation operation)
    {
        var id = PathIds[random.Next(PathIds.Length)];
        var body = ValidBody(operation);
        return new FuzzRequest(FuzzKind.PathId, "id " + RequestShorten(id), operation, operation.Method, PathWith(operation, id, ValidQuery(operation)),
            body is null ? null : Encoding.UTF8.GetBytes(body.ToJsonString()), body is null ? null : Json, ValidHeaders());
    }

    private FuzzRequest WrongHeaders(ApiOperation operation)
    {
        var valid = Valid(operation);
        List<KeyValuePair<string, string>> headers;
        var contentType = valid.ContentType;
        string variation;
        switch (random.Next(operation.BodySchema is null ? 4 : 5))
        {
            case 0:
                headers = [new("Accept", Json)];
                variation = "no API key";
                break;
            case 1:
                var wrong = WrongKeys[random.Next(WrongKeys.Length)];
                headers = [new(ApiKeyHeader, wrong), new("Accept", Json)];
                variation = $"API key '{RequestShorten(wrong)}'";
                break;
            case 2:
                headers = [new(ApiKeyHeader, apiKey), new(ApiKeyHeader, "xcrm_other"), new("Accept", Json)];
                variation = "two API keys";
                break;
            case 3:
                var accept = Accepts[random.Next(Accepts.Length)];
                headers = [new(ApiKeyHeader, apiKey), new("Accept", accept)];
                variation = $"Accept: {accept}";
                break;
            default:
                contentType = random.Next(8) == 0 ? null : ContentTypes[random.Next(ContentTypes.Length)];
                headers = ValidHeaders();
                variation = $"Content-Type: {contentType ?? "(none)"}";
                return valid with { Kind = FuzzKind.Headers, Variation = variation, Headers = headers, ContentType = contentType, Body = valid.Body ?? Encoding.UTF8.GetBytes("{}") };
        }
        return valid with { Kind = FuzzKind.Headers, Variation = variation, Headers = headers, ContentType = contentType };
    }

    private FuzzRequest WrongMethod(ApiOperation operation, IReadOnlySet<string> methodsOfPath)
    {
        var others = OddMethods.Where(m => !methodsOfPath.Contains(m)).ToList();
        var method = others[random.Next(others.Count)];
        return Valid(operation) with { Kind = FuzzKind.Method, Variation = method, Method = method };
    }
}

/// <summary>The small data set the fuzzer's valid requests name: customers <c>seed-0</c>… with <c>seed0@shop.test</c>….</summary>
internal static class FuzzData
{
    public const int Customers = 20;
}
