using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using XenoCrm.IntegrationTests.Infrastructure;

namespace XenoCrm.IntegrationTests.Campaigns;

/// <summary>The campaigns API's answers to mistakes and to actions its state machine does not allow.</summary>
[Collection(SharedServersDefinition.Name)]
public sealed class CampaignsApiTests(SharedServers servers)
{
    [Fact]
    public async Task Campaigns_AnswerProblemDetailsNamingTheField_AndRefuseWhatTheirStatusForbids()
    {
        await using var stack = await DistributedDeployment.StartAsync(servers.MariaDb, servers.RabbitMq, servers.Redis);
        await CampaignDeployment.SeedCustomersAsync(stack, 50);
        var campaignId = await CampaignDeployment.CreateCampaignAsync(stack);
        var segmentId = (await stack.Api.GetFromJsonAsync<JsonElement>($"/api/v1/campaigns/{campaignId}")).GetProperty("campaign").GetProperty("segmentId").GetInt64();

        await AssertProblemAsync(await PostAsync(stack, "/api/v1/campaigns", """{"name":"","segmentId":999999,"template":"Hi {{ customer.nmae }}"}"""),
            HttpStatusCode.BadRequest, ("name", "Required"), ("segmentId", "No segment has id 999999"), ("template", "customer.nmae"));
        await AssertProblemAsync(await PostAsync(stack, "/api/v1/campaigns", """{"name":"x","segmentId":1,"template":"{% if %}"}"""),
            HttpStatusCode.BadRequest, ("template", "line 1, column"));
        await AssertProblemAsync(await PostAsync(stack, "/api/v1/campaigns", """{"name":"x","segmentId":"one","template":"Hi"}"""),
            HttpStatusCode.BadRequest, ("segmentId", "Wrong type"));
        // A member of the wrong type hides none of the body's other mistakes.
        await AssertProblemAsync(await PostAsync(stack, "/api/v1/campaigns", """{"name":"","segmentId":"one","template":"Hi {{ customer.nmae }}","status":"Completed"}"""),
            HttpStatusCode.BadRequest, ("name", "Required"), ("segmentId", "Wrong type"), ("template", "customer.nmae"), ("status", "Unknown member"));
        await AssertProblemAsync(await PostAsync(stack, "/api/v1/campaigns", """{"name":"x","segmentId":1,"template":"Hi","status":"Completed"}"""),
            HttpStatusCode.BadRequest, ("status", "Unknown member"));
        await AssertProblemAsync(await PostAsync(stack, "/api/v1/campaigns", "{\"name\": "), HttpStatusCode.BadRequest);
        await AssertProblemAsync(await PostAsync(stack, $"/api/v1/campaigns/{campaignId}/send", """{"at":"2020-01-01T00:00:00Z"}"""),
            HttpStatusCode.BadRequest, ("at", "future"));
        await AssertProblemAsync(await PostAsync(stack, $"/api/v1/campaigns/{campaignId}/send", """{"at":"2099-01-01T00:00:00Z","timeZone":"Mars/Olympus"}"""),
            HttpStatusCode.BadRequest, ("timeZone", "Mars/Olympus"));
        await AssertProblemAsync(await PostAsync(stack, $"/api/v1/campaigns/{campaignId}/retry-failed", ""), HttpStatusCode.Conflict, ("detail", "Draft"));
        await AssertProblemAsync(await stack.Api.GetAsync("/api/v1/campaigns/987654"), HttpStatusCode.NotFound);
        await AssertProblemAsync(await stack.Api.GetAsync($"/api/v1/campaigns/{campaignId}/messages?status=lost"), HttpStatusCode.BadRequest, ("status", "sent"));

        // Scheduled in Kolkata's time: stored in UTC, and its segment cannot be deleted under it.
        using (var scheduled = await PostAsync(stack, $"/api/v1/campaigns/{campaignId}/send", """{"at":"2099-01-01T09:00:00+05:30","timeZone":"Asia/Kolkata"}"""))
        {
            Assert.Equal(HttpStatusCode.OK, scheduled.StatusCode);
            var campaign = (await scheduled.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("campaign");
            Assert.Equal("Scheduled", campaign.GetProperty("status").GetString());
            Assert.Equal(new DateTime(2099, 1, 1, 3, 30, 0, DateTimeKind.Utc), campaign.GetProperty("scheduledAt").GetDateTime().ToUniversalTime());
            Assert.Equal("Asia/Kolkata", campaign.GetProperty("timeZone").GetString());
        }
        await AssertProblemAsync(await stack.Api.DeleteAsync($"/api/v1/segments/{segmentId}"), HttpStatusCode.Conflict, ("detail", "scheduled"));
        await AssertProblemAsync(await stack.Api.DeleteAsync($"/api/v1/campaigns/{campaignId}"), HttpStatusCode.Conflict, ("detail", "draft"));

        // Cancelled before it started: nothing was sent, nothing can be resent, and the segment is free again.
        using (var cancelled = await PostAsync(stack, $"/api/v1/campaigns/{campaignId}/cancel", ""))
        {
            Assert.Equal(HttpStatusCode.OK, cancelled.StatusCode);
            Assert.Equal("Cancelled", (await cancelled.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("campaign").GetProperty("status").GetString());
        }
        await AssertProblemAsync(await PostAsync(stack, $"/api/v1/campaigns/{campaignId}/send", ""), HttpStatusCode.Conflict, ("detail", "Cancelled"));
        await AssertProblemAsync(await PostAsync(stack, $"/api/v1/campaigns/{campaignId}/cancel", ""), HttpStatusCode.Conflict, ("detail", "Cancelled"));
        Assert.Equal(0, await stack.ScalarAsync($"SELECT COUNT(*) FROM communication_log WHERE campaign_id = {campaignId}"));
        Assert.Equal(HttpStatusCode.NoContent, (await stack.Api.DeleteAsync($"/api/v1/segments/{segmentId}")).StatusCode);

        Assert.DoesNotContain("Exception", stack.Web.Output, StringComparison.Ordinal);
    }

    private static Task<HttpResponseMessage> PostAsync(DistributedDeployment stack, string path, string json) =>
        stack.Api.PostAsync(path, json.Length == 0 ? null : new StringContent(json, Encoding.UTF8, "application/json"));

    /// <summary>Asserts a problem-details answer; each pair is an error key (or "detail") and a text it must contain.</summary>
    private static async Task AssertProblemAsync(HttpResponseMessage response, HttpStatusCode status, params (string Key, string Contains)[] expected)
    {
        using (response)
        {
            var text = await response.Content.ReadAsStringAsync();
            Assert.True(response.StatusCode == status, $"Expected {(int)status}, got {(int)response.StatusCode}: {text}");
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
            var body = JsonDocument.Parse(text).RootElement;
            foreach (var (key, contains) in expected)
            {
                var found = key == "detail"
                    ? body.GetProperty("detail").GetString()!
                    : string.Join(" ", body.GetProperty("errors").GetProperty(key).EnumerateArray().Select(e => e.GetString()));
                Assert.Contains(contains, found, StringComparison.Ordinal);
            }
        }
    }
}
