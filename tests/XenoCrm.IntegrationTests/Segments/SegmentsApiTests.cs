using System.Net;
using System.Text;
using System.Text.Json;
using XenoCrm.IntegrationTests.Infrastructure;

namespace XenoCrm.IntegrationTests.Segments;

[Collection(SharedServersDefinition.Name)]
public sealed class SegmentsApiTests(SharedServers servers)
{
    private const string PuneBigSpendersOrRegulars = """
        {"op":"or","rules":[
          {"op":"and","rules":[{"field":"city","operator":"equals","value":"pune"},{"field":"total_spend","operator":"gt","value":60}]},
          {"op":"and","not":true,"rules":[{"field":"order_count","operator":"lt","value":2}]}]}
        """;

    private const string PuneBigSpendersOrRegularsSql =
        "SELECT COUNT(*) FROM customers WHERE (city = 'Pune' AND total_spend > 60) OR NOT (order_count < 2)";

    /// <summary>Cities that look like SQL, quoting or LIKE syntax, and how many customers live in each.</summary>
    private static readonly (string City, int Customers)[] OddCities =
    [
        ("x' OR '1'='1", 3),
        ("Robert'); DROP TABLE customers;--", 2),
        ("a`b` -- c", 1),
        ("50%_off", 1),
        ("50xyoff", 1),
        ("back\\slash", 1),
        ("\u2018Smart\u2019 \u201Cquotes\u201D", 2),
        ("\" UNION SELECT key_hash FROM api_keys --", 1),
    ];

    private sealed record ValidCase(string Name, string Rules, long ExpectedCount);

    private sealed record InvalidCase(string Name, string Body, HttpStatusCode Expected, string? ErrorKey = null, string? Reason = null,
        string Path = "/api/v1/segments/preview", string ContentType = "application/json");

    [Fact]
    public async Task Segments_RoundTripAndPreviewCountsLikeHandWrittenSql_ForIngestedCustomers()
    {
        await using var stack = await DistributedDeployment.StartAsync(servers.MariaDb, servers.RabbitMq, servers.Redis);
        await stack.StoreCustomersAndOrdersAsync(50, 80);
        Assert.Equal(0, await stack.CustomersWithWrongAggregatesAsync());

        var expected = await stack.ScalarAsync(PuneBigSpendersOrRegularsSql);
        Assert.InRange(expected, 1, 49);
        using (var preview = await PostAsync(stack, "/api/v1/segments/preview", $$"""{"rules": {{PuneBigSpendersOrRegulars}}}"""))
        {
            var body = await ReadJsonAsync(preview, HttpStatusCode.OK);
            Assert.Equal(expected, body.GetProperty("count").GetInt64());
            var sample = body.GetProperty("sample").EnumerateArray().ToList();
            Assert.Equal(Math.Min(10, expected), sample.Count);
            Assert.All(sample, c => Assert.True(
                (c.GetProperty("city").GetString() == "Pune" && c.GetProperty("totalSpend").GetDecimal() > 60) || c.GetProperty("orderCount").GetInt32() >= 2,
                c.ToString()));
            var ids = sample.Select(c => c.GetProperty("id").GetInt64()).ToList();
            Assert.Equal(ids.OrderDescending(), ids);
            Assert.All(sample, c => Assert.EndsWith("@shop.test", c.GetProperty("email").GetString(), StringComparison.Ordinal));
        }

        // Create: the name is trimmed, the author is the API key's name, the rules are stored versioned.
        string location;
        long id;
        using (var created = await PostAsync(stack, "/api/v1/segments", $$"""{"name": "  Pune big spenders  ", "rules": {{PuneBigSpendersOrRegulars}}}"""))
        {
            var body = await ReadJsonAsync(created, HttpStatusCode.Created);
            id = body.GetProperty("id").GetInt64();
            location = created.Headers.Location!.ToString();
            Assert.Equal($"/api/v1/segments/{id}", location);
            Assert.Equal("Pune big spenders", body.GetProperty("name").GetString());
            Assert.Equal(expected, body.GetProperty("size").GetInt64());
            Assert.Equal("tests", body.GetProperty("createdBy").GetString());
            Assert.Equal("tests", body.GetProperty("updatedBy").GetString());
        }
        Assert.Equal(1, await stack.ScalarAsync("SELECT COUNT(*) FROM segments WHERE name = 'Pune big spenders' AND rules LIKE '{\"version\":1,%'"));

        using (var read = await stack.Api.GetAsync(location))
        {
            var body = await ReadJsonAsync(read, HttpStatusCode.OK);
            Assert.Equal(expected, body.GetProperty("size").GetInt64());
            var rules = body.GetProperty("rules");
            Assert.Equal(1, rules.GetProperty("version").GetInt32());
            Assert.Equal("or", rules.GetProperty("op").GetString());
            Assert.True(rules.GetProperty("rules")[1].GetProperty("not").GetBoolean());
            Assert.Equal("pune", rules.GetProperty("rules")[0].GetProperty("rules")[0].GetProperty("value").GetString());
        }

        using (var duplicate = await PostAsync(stack, "/api/v1/segments", $$"""{"name": "Pune big spenders", "rules": {{PuneBigSpendersOrRegulars}}}"""))
        {
            await ReadJsonAsync(duplicate, HttpStatusCode.Conflict);
        }

        const string DelhiRules = """{"op":"and","rules":[{"field":"city","operator":"equals","value":"Delhi"}]}""";
        using (var updated = await SendAsync(stack, HttpMethod.Put, location, $$"""{"name": "Delhi", "rules": {{DelhiRules}}}"""))
        {
            var body = await ReadJsonAsync(updated, HttpStatusCode.OK);
            Assert.Equal("Delhi", body.GetProperty("name").GetString());
            Assert.Equal(await stack.ScalarAsync("SELECT COUNT(*) FROM customers WHERE city = 'Delhi'"), body.GetProperty("size").GetInt64());
        }

        long otherId;
        using (var other = await PostAsync(stack, "/api/v1/segments", """{"name": "Everyone in Pune", "rules": {"op":"and","rules":[{"field":"city","operator":"equals","value":"Pune"}]}}"""))
        {
            otherId = (await ReadJsonAsync(other, HttpStatusCode.Created)).GetProperty("id").GetInt64();
        }
        using (var renamedOntoTaken = await SendAsync(stack, HttpMethod.Put, $"/api/v1/segments/{otherId}", $$"""{"name": "Delhi", "rules": {{DelhiRules}}}"""))
        {
            await ReadJsonAsync(renamedOntoTaken, HttpStatusCode.Conflict);
        }

        using (var list = await stack.Api.GetAsync("/api/v1/segments"))
        {
            var items = (await ReadJsonAsync(list, HttpStatusCode.OK)).EnumerateArray().ToList();
            Assert.Equal(["Delhi", "Everyone in Pune"], items.Select(s => s.GetProperty("name").GetString()));
            Assert.Equal(await stack.ScalarAsync("SELECT COUNT(*) FROM customers WHERE city = 'Delhi'"), items[0].GetProperty("size").GetInt64());
            Assert.Equal(await stack.ScalarAsync("SELECT COUNT(*) FROM customers WHERE city = 'Pune'"), items[1].GetProperty("size").GetInt64());
            Assert.All(items, s => Assert.Equal("tests", s.GetProperty("updatedBy").GetString()));
        }

        using (var missing = await SendAsync(stack, HttpMethod.Put, "/api/v1/segments/999999", $$"""{"name": "Ghost", "rules": {{DelhiRules}}}"""))
        {
            await ReadJsonAsync(missing, HttpStatusCode.NotFound);
        }
        using (var deleted = await stack.Api.DeleteAsync(location))
        {
            Assert.Equal(HttpStatusCode.NoContent, deleted.StatusCode);
        }
        using (var gone = await stack.Api.GetAsync(location))
        {
            await ReadJsonAsync(gone, HttpStatusCode.NotFound);
        }
        using (var deletedTwice = await stack.Api.DeleteAsync(location))
        {
            await ReadJsonAsync(deletedTwice, HttpStatusCode.NotFound);
        }
        Assert.Equal(1, await stack.ScalarAsync("SELECT COUNT(*) FROM segments"));
    }

    [Fact]
    public async Task Segments_Answer400WithTheReasonOrALiteralCount_ForHostileInput()
    {
        await using var stack = await DistributedDeployment.StartAsync(servers.MariaDb, servers.RabbitMq, servers.Redis);
        var customers = OddCities
            .SelectMany((odd, c) => Enumerable.Range(0, odd.Customers).Select(i => new { externalId = $"odd{c}-{i}", email = $"odd{c}-{i}@shop.test", name = $"Odd {c}-{i}", city = odd.City }))
            .Concat(Enumerable.Range(0, 5).Select(i => new { externalId = $"plain{i}", email = $"plain{i}@shop.test", name = $"Plain {i}", city = "Pune" }))
            .ToList();
        await stack.StoreCustomersAsync(customers);
        var logStart = stack.Web.Output.Length;

        static string Rule(string field, string op, object? value) =>
            JsonSerializer.Serialize(new { rules = new { op = "and", rules = new[] { new { field, @operator = op, value } } } });

        ValidCase[] valid =
        [
            new("quote injection as a value", Rule("city", "equals", "x' OR '1'='1"), 3),
            new("drop table as a value", Rule("city", "equals", "Robert'); DROP TABLE customers;--"), 2),
            new("drop table without its customers", Rule("city", "equals", "; DROP TABLE customers"), 0),
            new("union select as a value", Rule("name", "contains", "' UNION SELECT key_hash FROM api_keys --"), 0),
            new("double-quoted union select", Rule("city", "starts_with", "\" UNION SELECT"), 1),
            new("backticks and a comment", Rule("city", "equals", "a`b` -- c"), 1),
            new("comment alone", Rule("city", "contains", "--"), 4),
            new("LIKE wildcards are literal", Rule("city", "equals", "50%_off"), 1),
            new("percent is literal", Rule("city", "contains", "%"), 1),
            new("underscore is literal", Rule("city", "starts_with", "_"), 0),
            new("backslash is literal", Rule("city", "equals", "back\\slash"), 1),
            new("unicode quotes match themselves", Rule("city", "equals", "\u2018Smart\u2019 \u201Cquotes\u201D"), 2),
            new("unicode quotes are not ASCII quotes", Rule("city", "equals", "'Smart' \"quotes\""), 0),
            new("in with hostile items", Rule("city", "in", new List<string> { "x' OR '1'='1", "a`b` -- c", "') OR 1=1 #" }), 4),
            new("email domain injection", Rule("email_domain", "equals", "shop.test' OR 'a'='a"), 0),
            new("200 quotes", Rule("city", "equals", new string('\'', 200)), 0),
            new("NUL character", Rule("city", "equals", "Pune\u0000"), 0),
            new("plain control", Rule("city", "equals", "PUNE"), 5),
        ];

        var hundredKb = new string('x', 100 * 1024);
        string Nested(int groups) =>
            "{\"rules\":" + string.Concat(Enumerable.Repeat("{\"op\":\"and\",\"rules\":[", groups))
            + "{\"field\":\"city\",\"operator\":\"equals\",\"value\":\"Pune\"}" + string.Concat(Enumerable.Repeat("]}", groups)) + "}";
        var fiftyOneRules = JsonSerializer.Serialize(new { rules = new { op = "or", rules = Enumerable.Range(0, 51).Select(i => new { field = "order_count", @operator = "equals", value = i }) } });
        const string Pune = """{"op":"and","rules":[{"field":"city","operator":"equals","value":"Pune"}]}""";
        InvalidCase[] invalid =
        [
            new("100 KB value", Rule("city", "equals", hundredKb), HttpStatusCode.BadRequest, "rules: rule 1", "1 to 200 characters"),
            new("100 KB field name", Rule(hundredKb, "equals", "Pune"), HttpStatusCode.BadRequest, "rules: rule 1", "Unknown field"),
            new("100 KB operator", Rule("city", hundredKb, "Pune"), HttpStatusCode.BadRequest, "rules: rule 1", "does not apply"),
            new("SQL as a field", Rule("city = city OR 1=1 --", "equals", "Pune"), HttpStatusCode.BadRequest, "rules: rule 1", "Unknown field"),
            new("SQL as an operator", Rule("city", "= '' OR '1'='1", "Pune"), HttpStatusCode.BadRequest, "rules: rule 1", "does not apply"),
            new("unknown field", Rule("password_hash", "equals", "x"), HttpStatusCode.BadRequest, "rules: rule 1", "Unknown field"),
            new("unknown operator", Rule("city", "matches", "P.*"), HttpStatusCode.BadRequest, "rules: rule 1", "does not apply"),
            new("number operator on text", Rule("city", "gt", "Pune"), HttpStatusCode.BadRequest, "rules: rule 1", "does not apply"),
            new("number for a text", Rule("city", "equals", 5), HttpStatusCode.BadRequest, "rules: rule 1", "needs a text"),
            new("text for a number", Rule("total_spend", "gt", "100; DROP TABLE customers"), HttpStatusCode.BadRequest, "rules: rule 1", "needs a number"),
            new("huge number", """{"rules":{"op":"and","rules":[{"field":"total_spend","operator":"gt","value":1e400}]}}""", HttpStatusCode.BadRequest, "rules: rule 1", "needs a number"),
            new("text for days", Rule("last_order_at", "in_last_days", "90"), HttpStatusCode.BadRequest, "rules: rule 1", "whole number of days"),
            new("bad date", Rule("signed_up_at", "before", "2024-13-45' OR 1=1"), HttpStatusCode.BadRequest, "rules: rule 1", "needs a date"),
            new("between with one bound", Rule("total_spend", "between", new List<int> { 5 }), HttpStatusCode.BadRequest, "rules: rule 1", "'between' needs two numbers"),
            new("empty in list", Rule("city", "in", Array.Empty<string>()), HttpStatusCode.BadRequest, "rules: rule 1", "'in' needs a list"),
            new("value on is_empty", Rule("city", "is_empty", "x"), HttpStatusCode.BadRequest, "rules: rule 1", "takes no value"),
            new("unknown rule member", """{"rules":{"op":"and","rules":[{"field":"city","operator":"equals","value":"Pune","sql":"1=1"}]}}""", HttpStatusCode.BadRequest, "rules: rule 1", "Unknown member 'sql'"),
            new("unknown group op", """{"rules":{"op":"xor","rules":[{"field":"city","operator":"equals","value":"Pune"}]}}""", HttpStatusCode.BadRequest, "rules", "\"and\" or \"or\""),
            new("not as text", """{"rules":{"op":"and","not":"yes","rules":[{"field":"city","operator":"equals","value":"Pune"}]}}""", HttpStatusCode.BadRequest, "rules", "true or false"),
            new("rules as an object", """{"rules":{"op":"and","rules":{}}}""", HttpStatusCode.BadRequest, "rules", "an array of rules"),
            new("no rules at all", """{"rules":{"op":"and","rules":[]}}""", HttpStatusCode.BadRequest, "rules", "at least one rule"),
            new("rules as an array", """{"rules":[]}""", HttpStatusCode.BadRequest, "rules", "must be a JSON object"),
            new("rules as SQL text", """{"rules":"1=1; DROP TABLE customers"}""", HttpStatusCode.BadRequest, "rules", "must be a JSON object"),
            new("wrong rules version", """{"rules":{"version":2,"op":"and","rules":[{"field":"city","operator":"equals","value":"Pune"}]}}""", HttpStatusCode.BadRequest, "rules", "version"),
            new("empty group inside", """{"rules":{"op":"and","rules":[{"op":"or","rules":[]}]}}""", HttpStatusCode.BadRequest, "rules: group 1", "at least one rule"),
            new("51 rules", fiftyOneRules, HttpStatusCode.BadRequest, "rules", "at most 50 rules"),
            new("6 nested groups", Nested(6), HttpStatusCode.BadRequest, "rules: group 1, group 1, group 1, group 1, group 1", "nest at most 5 deep"),
            new("200 nested groups", Nested(200), HttpStatusCode.BadRequest, "$", "not valid JSON"),
            new("lone surrogate", Rule("city", "equals", "x").Replace("\"x\"", "\"\\ud800\"", StringComparison.Ordinal), HttpStatusCode.BadRequest, "$", "Unicode"),
            new("lone surrogate in a member name", """{"rules":{"op":"and","rules":[{"field":"city","operator":"equals","value":"Pune","\ud800":1}]}}""", HttpStatusCode.BadRequest, "$", "Unicode"),
            new("unknown top-level member", $$"""{"rules":{{Pune}},"where":"1=1"}""", HttpStatusCode.BadRequest, "where", "Unknown member"),
            new("100 KB top-level member", $$"""{"rules":{{Pune}},"{{hundredKb}}":1}""", HttpStatusCode.BadRequest, new string('x', 40) + "…", "Unknown member"),
            new("missing rules", "{}", HttpStatusCode.BadRequest, "rules", "Required"),
            new("array body", $"[{Pune}]", HttpStatusCode.BadRequest, "$", "JSON object"),
            new("string body", "\"' OR 1=1 --\"", HttpStatusCode.BadRequest, "$", "JSON object"),
            new("null body", "null", HttpStatusCode.BadRequest, "$", "JSON object"),
            new("malformed JSON", """{"rules": {"op": "and", """, HttpStatusCode.BadRequest, "$", "not valid JSON"),
            new("300 KB body", Rule("city", "equals", new string('x', 300 * 1024)), HttpStatusCode.RequestEntityTooLarge),
            new("wrong content type", $$"""{"rules":{{Pune}}}""", HttpStatusCode.UnsupportedMediaType, ContentType: "text/plain"),
            new("name missing", $$"""{"rules":{{Pune}}}""", HttpStatusCode.BadRequest, "name", "Required", Path: "/api/v1/segments"),
            new("name blank", $$"""{"name":"   ","rules":{{Pune}}}""", HttpStatusCode.BadRequest, "name", "1 to 100", Path: "/api/v1/segments"),
            new("name 101 characters", $$"""{"name":"{{new string('n', 101)}}","rules":{{Pune}}}""", HttpStatusCode.BadRequest, "name", "1 to 100", Path: "/api/v1/segments"),
            new("name 100 KB", $$"""{"name":"{{hundredKb}}","rules":{{Pune}}}""", HttpStatusCode.BadRequest, "name", "1 to 100", Path: "/api/v1/segments"),
            new("name as a number", $$"""{"name":1,"rules":{{Pune}}}""", HttpStatusCode.BadRequest, "name", "Required", Path: "/api/v1/segments"),
            new("name as a number beside bad rules", """{"name":1,"rules":{"op":"and","rules":[{"field":"city","operator":"gt","value":1}]}}""", HttpStatusCode.BadRequest, "rules: rule 1", "does not apply", Path: "/api/v1/segments"),
            new("name as a number, said so", $$"""{"name":1,"rules":{{Pune}}}""", HttpStatusCode.BadRequest, "name", "Wrong type", Path: "/api/v1/segments"),
            new("name with bad rules", """{"name":"ok","rules":{"op":"and","rules":[{"field":"city","operator":"gt","value":1}]}}""", HttpStatusCode.BadRequest, "rules: rule 1", "does not apply", Path: "/api/v1/segments"),
        ];

        var failures = new List<string>();
        foreach (var test in valid)
        {
            using var response = await PostAsync(stack, "/api/v1/segments/preview", test.Rules);
            var body = await response.Content.ReadAsStringAsync();
            if (response.StatusCode != HttpStatusCode.OK)
            {
                failures.Add($"{test.Name}: expected 200, got {(int)response.StatusCode} {Shorten(body)}");
                continue;
            }
            using var preview = JsonDocument.Parse(body);
            var count = preview.RootElement.GetProperty("count").GetInt64();
            if (count != test.ExpectedCount)
            {
                failures.Add($"{test.Name}: counted {count}, expected {test.ExpectedCount}");
            }
        }
        foreach (var test in invalid)
        {
            using var response = await PostAsync(stack, test.Path, test.Body, test.ContentType);
            var body = await response.Content.ReadAsStringAsync();
            if (response.StatusCode != test.Expected)
            {
                failures.Add($"{test.Name}: expected {(int)test.Expected}, got {(int)response.StatusCode} {Shorten(body)}");
                continue;
            }
            if (response.Content.Headers.ContentType?.MediaType != "application/problem+json")
            {
                failures.Add($"{test.Name}: not problem details ({response.Content.Headers.ContentType})");
                continue;
            }
            if (test.ErrorKey is not null)
            {
                using var problem = JsonDocument.Parse(body);
                if (!problem.RootElement.TryGetProperty("errors", out var errors) || !errors.TryGetProperty(test.ErrorKey, out var messages))
                {
                    failures.Add($"{test.Name}: the problem does not name '{Shorten(test.ErrorKey)}': {Shorten(body)}");
                }
                else if (!messages.EnumerateArray().Any(m => m.GetString()!.Contains(test.Reason!, StringComparison.Ordinal)))
                {
                    failures.Add($"{test.Name}: '{test.ErrorKey}' does not say '{test.Reason}': {Shorten(body)}");
                }
                if (body.Length > 8 * 1024)
                {
                    failures.Add($"{test.Name}: the problem is {body.Length} characters long");
                }
            }
        }

        // Hostile text is a value in a saved segment's name too, and comes back as it went in.
        const string HostileName = "Robert'); DROP TABLE segments;-- \u2019`";
        using (var saved = await PostAsync(stack, "/api/v1/segments", JsonSerializer.Serialize(new { name = HostileName, rules = JsonDocument.Parse(Pune).RootElement })))
        {
            var body = await ReadJsonAsync(saved, HttpStatusCode.Created);
            using var read = await stack.Api.GetAsync(saved.Headers.Location);
            Assert.Equal(HostileName, (await ReadJsonAsync(read, HttpStatusCode.OK)).GetProperty("name").GetString());
            Assert.Equal(5, body.GetProperty("size").GetInt64());
        }

        Assert.True(failures.Count == 0, $"{failures.Count} of {valid.Length + invalid.Length} cases:\n{string.Join("\n", failures)}");
        Assert.Equal(customers.Count, await stack.ScalarAsync("SELECT COUNT(*) FROM customers"));
        var log = stack.Web.Output[logStart..];
        Assert.DoesNotContain("MySqlException", log, StringComparison.Ordinal);
        Assert.DoesNotContain("fail:", log, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Preview_Answers401_WithoutAnApiKey()
    {
        await using var stack = await DistributedDeployment.StartAsync(servers.MariaDb, servers.RabbitMq, servers.Redis, workers: 0);
        using var response = await stack.PostRawAsync("/api/v1/segments/preview", $$"""{"rules": {{PuneBigSpendersOrRegulars}}}""");
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }

    private static Task<HttpResponseMessage> PostAsync(DistributedDeployment stack, string path, string body, string contentType = "application/json") =>
        SendAsync(stack, HttpMethod.Post, path, body, contentType);

    private static Task<HttpResponseMessage> SendAsync(DistributedDeployment stack, HttpMethod method, string path, string body, string contentType = "application/json") =>
        stack.Api.SendAsync(new HttpRequestMessage(method, path) { Content = new StringContent(body, Encoding.UTF8, contentType) });

    private static async Task<JsonElement> ReadJsonAsync(HttpResponseMessage response, HttpStatusCode expected)
    {
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == expected, $"expected {(int)expected}, got {(int)response.StatusCode}: {Shorten(body)}");
        return body.Length == 0 ? default : JsonDocument.Parse(body).RootElement.Clone();
    }

    private static string Shorten(string text) => text.Length <= 600 ? text : text[..600] + "…";
}
