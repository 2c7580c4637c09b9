using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using XenoCrm.IntegrationTests.Campaigns;
using XenoCrm.IntegrationTests.Infrastructure;

namespace XenoCrm.IntegrationTests.Idempotency;

/// <summary>
/// The <c>Idempotency-Key</c> header on every API operation that creates something, on the distributed mode (MariaDB,
/// Web and Workers as processes): a retry with the same key and request replays the first answer and creates nothing,
/// the same key with another request is a 422, concurrent requests with one key run the operation once — across two
/// Web instances — and a key past <c>Idempotency:Retention</c> is forgotten.
/// </summary>
[Collection(SharedServersDefinition.Name)]
public sealed class IdempotencyKeyTests(SharedServers servers)
{
    private const string Header = "Idempotency-Key";
    private const string RulesJson = """{"op":"and","rules":[{"field":"order_count","operator":"gte","value":0}]}""";

    /// <summary>A creating operation, how to ask for another one with the same key, and how many times it ran.</summary>
    private sealed record Operation(string Name, string Path, string? Body, string OtherPath, string? OtherBody, HttpStatusCode Status, string EffectSql);

    private sealed record Answer(HttpStatusCode Status, string Body, string? Location, bool Replayed, string? RetryAfter);

    [Fact]
    public async Task EveryCreatingOperation_ReplaysItsFirstAnswer_AndRefusesTheKeyForAnotherRequest()
    {
        var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(3)).Token;
        await using var stack = await DistributedDeployment.StartAsync(servers.MariaDb, servers.RabbitMq, servers.Redis,
            workerSettings: CampaignDeployment.FastRecovery(chunkSize: 100));
        await CampaignDeployment.SeedCustomersAsync(stack, 200);

        var segmentName = $"everyone {Guid.NewGuid():N}";
        var segment = await CheckAsync(stack, new Operation("CreateSegment",
            "/api/v1/segments", $$"""{"name":"{{segmentName}}","rules":{{RulesJson}}}""",
            "/api/v1/segments", $$"""{"name":"{{segmentName}} too","rules":{{RulesJson}}}""",
            HttpStatusCode.Created, $"SELECT COUNT(*) FROM segments WHERE name LIKE '{segmentName}%'"));
        var segmentId = JsonDocument.Parse(segment.Body).RootElement.GetProperty("id").GetInt64();
        Assert.Equal($"/api/v1/segments/{segmentId}", segment.Location);

        var campaign = await CheckAsync(stack, new Operation("CreateCampaign",
            "/api/v1/campaigns", $$"""{"name":"Keyed draft","segmentId":{{segmentId}},"template":"Hi there"}""",
            "/api/v1/campaigns", $$"""{"name":"Keyed draft, edited","segmentId":{{segmentId}},"template":"Hi there"}""",
            HttpStatusCode.Created, "SELECT COUNT(*) FROM campaigns WHERE name LIKE 'Keyed draft%'"));
        var campaignId = CampaignIdOf(campaign);
        Assert.Equal($"/api/v1/campaigns/{campaignId}", campaign.Location);
        var scheduledId = await CreateDraftAsync(stack, segmentId, "Scheduled draft");

        await CheckAsync(stack, new Operation("ScheduleCampaign",
            $"/api/v1/campaigns/{scheduledId}/send", """{"at":"2099-01-01T09:00:00+05:30","timeZone":"Asia/Kolkata"}""",
            $"/api/v1/campaigns/{scheduledId}/send", """{"at":"2099-01-02T09:00:00+05:30","timeZone":"Asia/Kolkata"}""",
            HttpStatusCode.OK, $"SELECT COUNT(*) FROM audit_log WHERE action = 'campaign-scheduled' AND target_id = '{scheduledId}'"));

        // Without a key the second send would be a 409 (the campaign is Sending); with it, the first 200 again.
        await CheckAsync(stack, new Operation("SendCampaign",
            $"/api/v1/campaigns/{campaignId}/send", null,
            $"/api/v1/campaigns/{scheduledId}/send", null,
            HttpStatusCode.OK, $"SELECT COUNT(*) FROM audit_log WHERE action = 'campaign-sent' AND target_id = '{campaignId}'"));
        await CampaignDeployment.WaitForCompletedAsync(stack, campaignId, TimeSpan.FromMinutes(2));
        // Only transient failures go again; "Mailbox full" is the simulator's one transient reason.
        var failed = await stack.ScalarAsync($"SELECT COUNT(*) FROM communication_log WHERE campaign_id = {campaignId} AND status = 3 AND failure_reason = 'Mailbox full'");
        Assert.True(failed > 0, "The seeded outcomes failed no recipient transiently, so there is nothing to retry.");

        await CheckAsync(stack, new Operation("RetryFailedCampaignMessages",
            $"/api/v1/campaigns/{campaignId}/retry-failed", null,
            $"/api/v1/campaigns/{scheduledId}/retry-failed", null,
            HttpStatusCode.OK, $"SELECT COUNT(*) FROM audit_log WHERE action = 'campaign-retried' AND target_id = '{campaignId}'"));
        Assert.Equal(failed, await stack.ScalarAsync($"SELECT COUNT(*) FROM communication_log WHERE campaign_id = {campaignId} AND attempt = 2"));

        // The draft's sf-string ("…") and the bare token are one key; a key is 1 to 255 printable characters.
        var quoted = await SendAsync(stack.Api, "/api/v1/campaigns", $$"""{"name":"Quoted","segmentId":{{segmentId}},"template":"Hi"}""", "\"quoted-key\"");
        Assert.Equal(HttpStatusCode.Created, quoted.Status);
        var bare = await SendAsync(stack.Api, "/api/v1/campaigns", $$"""{"name":"Quoted","segmentId":{{segmentId}},"template":"Hi"}""", "quoted-key");
        Assert.True(bare.Replayed && bare.Body == quoted.Body, bare.Body);
        foreach (var malformed in new[] { "", "   ", new string('k', 256), "tab\there" })
        {
            var refused = await SendAsync(stack.Api, "/api/v1/campaigns", $$"""{"name":"Malformed","segmentId":{{segmentId}},"template":"Hi"}""", malformed);
            Assert.True(refused.Status == HttpStatusCode.BadRequest, $"'{malformed}': {refused.Status} {refused.Body}");
            Assert.True(JsonDocument.Parse(refused.Body).RootElement.GetProperty("errors").TryGetProperty(Header, out _), refused.Body);
        }
        Assert.Equal(0, await stack.ScalarAsync("SELECT COUNT(*) FROM campaigns WHERE name = 'Malformed'"));
        var longest = await SendAsync(stack.Api, "/api/v1/campaigns", $$"""{"name":"Longest key","segmentId":{{segmentId}},"template":"Hi"}""", new string('k', 255));
        Assert.Equal(HttpStatusCode.Created, longest.Status);

        // A key is its caller's: another API key with the same key and body creates its own draft.
        using var otherCaller = new HttpClient { BaseAddress = stack.Api.BaseAddress, Timeout = TimeSpan.FromSeconds(30) };
        otherCaller.DefaultRequestHeaders.Add("X-Api-Key", await stack.CreateApiKeyAsync("another-shop"));
        var theirs = await SendAsync(otherCaller, "/api/v1/campaigns", $$"""{"name":"Keyed draft","segmentId":{{segmentId}},"template":"Hi there"}""", "CreateCampaign-key");
        Assert.Equal(HttpStatusCode.Created, theirs.Status);
        Assert.False(theirs.Replayed);
        Assert.NotEqual(campaignId, CampaignIdOf(theirs));
        Assert.Equal(2, await stack.ScalarAsync("SELECT COUNT(*) FROM campaigns WHERE name = 'Keyed draft'"));

        timeout.ThrowIfCancellationRequested();
        Assert.DoesNotContain("Exception", stack.Web.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ConcurrentRequestsWithOneKey_OnTwoWebInstances_RunOnce_AndAKeyExpiresAfterItsRetention()
    {
        await using var stack = await DistributedDeployment.StartAsync(servers.MariaDb, servers.RabbitMq, servers.Redis);
        var retention = TimeSpan.FromSeconds(5);
        var (otherWeb, otherApi) = await stack.StartAnotherWebAsync(new Dictionary<string, string?> { ["Idempotency__Retention"] = "00:00:05" });
        using var segment = await stack.PostJsonAsync("/api/v1/segments", new
        {
            name = "everyone",
            rules = new { op = "and", rules = new[] { new { field = "order_count", @operator = "gte", value = 0 } } },
        });
        Assert.Equal(HttpStatusCode.Created, segment.StatusCode);
        var segmentId = (await segment.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetInt64();

        // Ten requests with one key, at once, half to each instance: one runs, the others replay it or are told it runs.
        var body = $$"""{"name":"Burst","segmentId":{{segmentId}},"template":"Hi"}""";
        var start = new TaskCompletionSource();
        var requests = Enumerable.Range(0, 10)
            .Select(async i =>
            {
                await start.Task;
                return await SendAsync(i % 2 == 0 ? stack.Api : otherApi, "/api/v1/campaigns", body, "burst-key");
            })
            .ToList();
        start.SetResult();
        var answers = await Task.WhenAll(requests);
        var created = answers.Where(a => a.Status == HttpStatusCode.Created).ToList();
        var inProgress = answers.Where(a => a.Status == HttpStatusCode.Conflict).ToList();
        Assert.True(created.Count + inProgress.Count == answers.Length,
            $"Answers other than 201 and 409: {string.Join(", ", answers.Select(a => $"{(int)a.Status} {a.Body}"))}");
        Assert.Single(created, a => !a.Replayed);
        Assert.All(created, a => Assert.Equal(created[0].Body, a.Body));
        Assert.All(inProgress, a => Assert.Equal("1", a.RetryAfter));
        Assert.All(inProgress, a => Assert.Contains("still being processed", a.Body, StringComparison.Ordinal));
        Assert.Equal(1, await stack.ScalarAsync("SELECT COUNT(*) FROM campaigns WHERE name = 'Burst'"));
        var again = await SendAsync(stack.Api, "/api/v1/campaigns", body, "burst-key");
        Assert.True(again.Replayed && again.Body == created[0].Body, again.Body);

        // Through the instance with a 5 s retention: replayed within it, run again after it, and the expired row pruned.
        var shortBody = $$"""{"name":"Short-lived key","segmentId":{{segmentId}},"template":"Hi"}""";
        var first = await SendAsync(otherApi, "/api/v1/campaigns", shortBody, "short-key");
        Assert.Equal(HttpStatusCode.Created, first.Status);
        var claimedAt = DateTime.UtcNow;
        var replay = await SendAsync(otherApi, "/api/v1/campaigns", shortBody, "short-key");
        Assert.True(replay.Replayed && replay.Body == first.Body, replay.Body);
        await Task.Delay(claimedAt + retention + TimeSpan.FromSeconds(1) - DateTime.UtcNow);
        var afterExpiry = await SendAsync(otherApi, "/api/v1/campaigns", shortBody, "short-key");
        Assert.Equal(HttpStatusCode.Created, afterExpiry.Status);
        Assert.False(afterExpiry.Replayed);
        Assert.NotEqual(CampaignIdOf(first), CampaignIdOf(afterExpiry));
        Assert.Equal(2, await stack.ScalarAsync("SELECT COUNT(*) FROM campaigns WHERE name = 'Short-lived key'"));
        Assert.Equal(0, await stack.ScalarAsync("SELECT COUNT(*) FROM idempotency_keys WHERE expires_at <= UTC_TIMESTAMP(6)"));

        Assert.DoesNotContain("Exception", stack.Web.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("Exception", otherWeb.Output, StringComparison.Ordinal);
    }

    /// <summary>
    /// The operation with a key, the same request again (the first answer, replayed), and the key with another request
    /// (422 naming the header); the operation ran once.
    /// </summary>
    private static async Task<Answer> CheckAsync(DistributedDeployment stack, Operation operation)
    {
        var key = $"{operation.Name}-key";
        var first = await SendAsync(stack.Api, operation.Path, operation.Body, key);
        Assert.True(first.Status == operation.Status, $"{operation.Name}: {(int)first.Status} {first.Body}");
        Assert.False(first.Replayed, operation.Name);

        var retried = await SendAsync(stack.Api, operation.Path, operation.Body, key);
        Assert.True(retried.Status == operation.Status, $"{operation.Name} retried: {(int)retried.Status} {retried.Body}");
        Assert.True(retried.Replayed, $"{operation.Name}: the retry was not a replay");
        Assert.Equal(first.Body, retried.Body);
        Assert.Equal(first.Location, retried.Location);

        var other = await SendAsync(stack.Api, operation.OtherPath, operation.OtherBody, key);
        Assert.True(other.Status == HttpStatusCode.UnprocessableEntity, $"{operation.Name} with another request: {(int)other.Status} {other.Body}");
        Assert.True(JsonDocument.Parse(other.Body).RootElement.GetProperty("errors").TryGetProperty(Header, out _), other.Body);

        Assert.True(await stack.ScalarAsync(operation.EffectSql) == 1, $"{operation.Name} did not run exactly once: {operation.EffectSql}");
        return first;
    }

    private static async Task<Answer> SendAsync(HttpClient api, string path, string? body, string key)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, path)
        {
            Content = body is null ? null : new StringContent(body, Encoding.UTF8, "application/json"),
        };
        request.Headers.TryAddWithoutValidation(Header, key);
        using var response = await api.SendAsync(request);
        return new Answer(response.StatusCode, await response.Content.ReadAsStringAsync(), response.Headers.Location?.OriginalString,
            response.Headers.TryGetValues("Idempotent-Replayed", out var replayed) && replayed.Single() == "true",
            response.Headers.RetryAfter?.ToString());
    }

    private static async Task<long> CreateDraftAsync(DistributedDeployment stack, long segmentId, string name)
    {
        using var response = await stack.PostJsonAsync("/api/v1/campaigns", new { name, segmentId, template = "Hi" });
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        return (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("campaign").GetProperty("id").GetInt64();
    }

    private static long CampaignIdOf(Answer answer) => JsonDocument.Parse(answer.Body).RootElement.GetProperty("campaign").GetProperty("id").GetInt64();
}
