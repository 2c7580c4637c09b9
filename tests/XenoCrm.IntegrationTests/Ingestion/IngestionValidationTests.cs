using System.Net;
using System.Text.Json;
using XenoCrm.IntegrationTests.Infrastructure;

namespace XenoCrm.IntegrationTests.Ingestion;

[Collection(SharedServersDefinition.Name)]
public sealed class IngestionValidationTests(SharedServers servers)
{
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
    }
}
