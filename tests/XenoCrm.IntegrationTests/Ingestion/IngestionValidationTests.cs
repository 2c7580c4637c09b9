using System.Net;
using System.Text.Json;
using XenoCrm.IntegrationTests.Infrastructure;

namespace XenoCrm.IntegrationTests.Ingestion;

[Collection(SharedServersDefinition.Name)]
public sealed class IngestionValidationTests(SharedServers servers)
{
    private const int IngestionBodyLimit = 2 * 1024 * 1024;
    private static readonly string[] SecondItemsMistakes = ["items[1].email", "items[1].name", "items[1].signedUpAt", "items[1].totalSpend"];

    private sealed record BadRequest(string Name, string Path, string Body, HttpStatusCode Expected, string? ErrorField = null, string ContentType = "application/json", string? KeyOverride = null);

    [Fact]
    public async Task Post_AnswersTheDocumented4xxAndPublishesNothing_ForEveryKindOfBadInput()
    {
        await using var stack = await DistributedDeployment.StartAsync(servers.MariaDb, servers.RabbitMq, servers.Redis);
        var revokedKey = await stack.CreateApiKeyAsync("to-revoke");
        var (_, list, _) = await stack.RunCommandAsync("api-keys", "list");
        var revokedId = list.Split('\n').Single(l => l.Contains("\tto-revoke\t", StringComparison.Ordinal)).Split('\t')[0];
        Assert.Equal(0, (await stack.RunCommandAsync("api-keys", "revoke", revokedId)).ExitCode);

        var tooMany = JsonSerializer.Serialize(new { items = Enumerable.Range(0, 1001).Select(i => new { email = $"m{i}@shop.test", name = "M" }) });
        var tenMegabytes = $$"""{"email":"big@shop.test","name":"{{new string('x', 10 * 1024 * 1024)}}"}""";
        var deepNesting = "{\"email\":\"deep@shop.test\",\"name\":\"Deep\",\"city\":" + string.Concat(Enumerable.Repeat("[", 100)) + string.Concat(Enumerable.Repeat("]", 100)) + "}";
        BadRequest[] cases =
        [
            new("missing email", "/api/v1/customers", """{"name":"No Email"}""", HttpStatusCode.BadRequest, "email"),
            new("missing name", "/api/v1/customers", """{"email":"a@shop.test"}""", HttpStatusCode.BadRequest, "name"),
            new("bad email", "/api/v1/customers", """{"email":"not-an-email","name":"A"}""", HttpStatusCode.BadRequest, "email"),
            new("bad email in a batch", "/api/v1/customers", """{"items":[{"email":"ok@shop.test","name":"A"},{"email":"a@@b","name":"B"}]}""", HttpStatusCode.BadRequest, "items[1].email"),
            new("unknown member", "/api/v1/customers", """{"email":"a@shop.test","name":"A","totalSpend":99999}""", HttpStatusCode.BadRequest, "totalSpend"),
            new("client-set id", "/api/v1/customers", """{"id":7,"email":"a@shop.test","name":"A"}""", HttpStatusCode.BadRequest, "id"),
            new("wrong type", "/api/v1/customers", """{"email":"a@shop.test","name":42}""", HttpStatusCode.BadRequest, "name"),
            new("bad date", "/api/v1/customers", """{"email":"a@shop.test","name":"A","signedUpAt":"yesterday"}""", HttpStatusCode.BadRequest, "signedUpAt"),
            new("negative amount", "/api/v1/orders", """{"externalId":"o1","customerExternalId":"c1","amount":-5}""", HttpStatusCode.BadRequest, "amount"),
            new("amount as string", "/api/v1/orders", """{"externalId":"o1","customerExternalId":"c1","amount":"12.50"}""", HttpStatusCode.BadRequest, "amount"),
            new("three decimals", "/api/v1/orders", """{"externalId":"o1","customerExternalId":"c1","amount":1.005}""", HttpStatusCode.BadRequest, "amount"),
            new("missing order id", "/api/v1/orders", """{"customerExternalId":"c1","amount":5}""", HttpStatusCode.BadRequest, "externalId"),
            new("no customer reference", "/api/v1/orders", """{"externalId":"o1","amount":5}""", HttpStatusCode.BadRequest, "customerExternalId"),
            new("1,001 items", "/api/v1/customers", tooMany, HttpStatusCode.BadRequest, "items"),
            new("empty batch", "/api/v1/customers", """{"items":[]}""", HttpStatusCode.BadRequest, "items"),
            new("array body", "/api/v1/customers", """[{"email":"a@shop.test","name":"A"}]""", HttpStatusCode.BadRequest, "$"),
            new("malformed JSON", "/api/v1/customers", """{"email": """, HttpStatusCode.BadRequest, "$"),
            new("deep nesting", "/api/v1/customers", deepNesting, HttpStatusCode.BadRequest, "$"),
            new("10 MB body", "/api/v1/customers", tenMegabytes, HttpStatusCode.RequestEntityTooLarge),
            new("wrong content type", "/api/v1/customers", """{"email":"a@shop.test","name":"A"}""", HttpStatusCode.UnsupportedMediaType, ContentType: "text/plain"),
            new("no key", "/api/v1/customers", """{"email":"a@shop.test","name":"A"}""", HttpStatusCode.Unauthorized, KeyOverride: ""),
            new("unknown key", "/api/v1/customers", """{"email":"a@shop.test","name":"A"}""", HttpStatusCode.Unauthorized, KeyOverride: "xcrm_000000000000_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"),
            new("revoked key", "/api/v1/orders", """{"externalId":"o1","customerExternalId":"c1","amount":5}""", HttpStatusCode.Unauthorized, KeyOverride: revokedKey),
        ];

        var failures = new List<string>();
        foreach (var bad in cases)
        {
            using var response = await stack.PostRawAsync(bad.Path, bad.Body, bad.ContentType, bad.KeyOverride switch { null => stack.ApiKey, "" => null, var other => other });
            var body = await response.Content.ReadAsStringAsync();
            if (response.StatusCode != bad.Expected)
            {
                failures.Add($"{bad.Name}: expected {(int)bad.Expected}, got {(int)response.StatusCode} {body}");
                continue;
            }
            if ((int)response.StatusCode >= 400 && response.Content.Headers.ContentType?.MediaType != "application/problem+json")
            {
                failures.Add($"{bad.Name}: not problem details ({response.Content.Headers.ContentType})");
            }
            if (bad.ErrorField is not null)
            {
                using var problem = JsonDocument.Parse(body);
                if (!problem.RootElement.TryGetProperty("errors", out var errors) || !errors.TryGetProperty(bad.ErrorField, out _))
                {
                    failures.Add($"{bad.Name}: the problem does not name '{bad.ErrorField}': {body}");
                }
            }
        }
        Assert.True(failures.Count == 0, string.Join("\n", failures));

        // Every mistake of a body at once: a type error in one member hides none of the others, in a batch too.
        using (var response = await stack.PostRawAsync("/api/v1/customers",
            """{"items":[{"email":"ok@shop.test","name":"A"},{"email":42,"name":"","signedUpAt":"yesterday","totalSpend":1}]}""", apiKey: stack.ApiKey))
        {
            Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
            using var problem = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
            var errors = problem.RootElement.GetProperty("errors");
            Assert.Equal(SecondItemsMistakes, errors.EnumerateObject().Select(e => e.Name).Order());
            Assert.Contains(errors.GetProperty("items[1].email").EnumerateArray(), m => m.GetString()!.Contains("Wrong type", StringComparison.Ordinal));
            Assert.Contains(errors.GetProperty("items[1].totalSpend").EnumerateArray(), m => m.GetString()!.Contains("Unknown member", StringComparison.Ordinal));
        }

        // An answer stays short whatever the body: 1.9 MB of long unknown members gets a few dozen errors,
        // each name cut, and a line saying how many more there were.
        var unknownMembers = "{" + string.Join(",", Enumerable.Range(0, 19_000).Select(i => $"\"{i:D6}{new string('u', 90)}\":1")) + "}";
        Assert.InRange(unknownMembers.Length, 1_800_000, IngestionBodyLimit);
        using (var response = await stack.PostRawAsync("/api/v1/customers", unknownMembers, apiKey: stack.ApiKey))
        {
            var body = await response.Content.ReadAsStringAsync();
            Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
            Assert.True(body.Length < 16 * 1024, $"The answer to a 1.9 MB body is {body.Length} characters long.");
            using var problem = JsonDocument.Parse(body);
            var errors = problem.RootElement.GetProperty("errors").EnumerateObject().ToList();
            Assert.InRange(errors.Count, 2, 51);
            Assert.All(errors, e => Assert.True(e.Name.Length <= 41, $"A field name of {e.Name.Length} characters."));
            Assert.Contains(errors.Single(e => e.Name == "$").Value.EnumerateArray(), m => m.GetString()!.Contains("more", StringComparison.Ordinal));
        }

        // Nothing of the above was published: once a marker sent after them all is stored, it stands alone.
        using (var marker = await stack.PostRawAsync("/api/v1/customers", """{"externalId":"marker","email":"marker@shop.test","name":"Marker"}""", apiKey: stack.ApiKey))
        {
            Assert.Equal(HttpStatusCode.Accepted, marker.StatusCode);
        }
        await stack.WaitForCountAsync("SELECT COUNT(*) FROM customers WHERE external_id = 'marker'", 1);
        await Task.Delay(500);
        Assert.Equal(1, await stack.ScalarAsync("SELECT COUNT(*) FROM customers"));
        Assert.Equal(0, await stack.ScalarAsync("SELECT COUNT(*) FROM orders"));
        Assert.Equal(0, await stack.ScalarAsync("SELECT COUNT(*) FROM dead_letters"));

        // The API pages by the lists' one rule: counted up to 10,000 rows, a page past the last is empty, and a page
        // beyond the first 10,000 rows is refused with the reason rather than read.
        using (var first = JsonDocument.Parse(await stack.Api.GetStringAsync("/api/v1/customers?page=1&pageSize=1")))
        {
            Assert.Equal(1, first.RootElement.GetProperty("total").GetInt32());
            Assert.False(first.RootElement.GetProperty("moreThanTotal").GetBoolean());
        }
        using (var past = JsonDocument.Parse(await stack.Api.GetStringAsync("/api/v1/customers?page=2&pageSize=1")))
        {
            Assert.Equal(2, past.RootElement.GetProperty("page").GetInt32());
            Assert.Equal(0, past.RootElement.GetProperty("items").GetArrayLength());
        }
        using (var deep = await stack.Api.GetAsync("/api/v1/customers?page=201&pageSize=50"))
        {
            Assert.Equal(HttpStatusCode.BadRequest, deep.StatusCode);
            using var problem = JsonDocument.Parse(await deep.Content.ReadAsStringAsync());
            Assert.Contains("10,000", problem.RootElement.GetProperty("errors").GetProperty("page")[0].GetString(), StringComparison.Ordinal);
        }
    }
}
