using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using MySqlConnector;
using XenoCrm.Core.Campaigns;
using XenoCrm.Delivery;
using XenoCrm.IntegrationTests.Infrastructure;
using XenoCrm.ServiceDefaults.Messaging;

namespace XenoCrm.IntegrationTests.Campaigns;

/// <summary>Campaign steps and checks over a <see cref="DistributedDeployment"/>, through its API and its database.</summary>
internal static class CampaignDeployment
{
    public const double SuccessRate = 0.9;

    /// <summary>Settings that make recovery take seconds: the reconciler looks every second and redoes work after 5 s without progress.</summary>
    public static Dictionary<string, string?> FastRecovery(int chunkSize) => new()
    {
        ["Campaigns__ChunkSize"] = chunkSize.ToString(System.Globalization.CultureInfo.InvariantCulture),
        ["Campaigns__StallTimeout"] = "00:00:05",
        ["Campaigns__ReconcileInterval"] = "00:00:01",
        ["Delivery__Timeout"] = "00:00:02",
    };

    public static async Task SeedCustomersAsync(DistributedDeployment stack, int customers)
    {
        var (exitCode, _, stdErr) = await stack.RunCommandAsync("seed", "--customers", $"{customers}", "--orders", "0", "--seed", "11");
        Assert.True(exitCode == 0, $"seed failed: {stdErr}");
    }

    /// <summary>Creates a segment of every customer and a draft campaign to it; returns the campaign id.</summary>
    public static async Task<long> CreateCampaignAsync(DistributedDeployment stack, string template = "Hi {{ customer.first_name | default: \"there\" }}, 10% off in {{ customer.city }}!")
    {
        var segment = await stack.PostJsonAsync("/api/v1/segments", new
        {
            name = $"everyone {Guid.NewGuid():N}",
            rules = new { op = "and", rules = new[] { new { field = "order_count", @operator = "gte", value = 0 } } },
        });
        Assert.Equal(HttpStatusCode.Created, segment.StatusCode);
        var segmentId = (await segment.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetInt64();
        var campaign = await stack.PostJsonAsync("/api/v1/campaigns", new { name = "Ten percent off", segmentId, template });
        Assert.True(campaign.StatusCode == HttpStatusCode.Created, await campaign.Content.ReadAsStringAsync());
        return (await campaign.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("campaign").GetProperty("id").GetInt64();
    }

    public static async Task SendNowAsync(DistributedDeployment stack, long campaignId)
    {
        using var response = await stack.Api.PostAsync($"/api/v1/campaigns/{campaignId}/send", null);
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"{await response.Content.ReadAsStringAsync()}\n{Logs(stack)}");
    }

    /// <summary>Recipients that reached Sent or Failed.</summary>
    public static Task<long> TerminalAsync(DistributedDeployment stack, long campaignId) =>
        stack.ScalarAsync($"SELECT COUNT(*) FROM communication_log WHERE campaign_id = {campaignId} AND status IN (2, 3)");

    public static async Task WaitUntilTerminalAtLeastAsync(DistributedDeployment stack, long campaignId, long count)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromMinutes(2);
        while (await TerminalAsync(stack, campaignId) < count)
        {
            Assert.True(DateTime.UtcNow < deadline, $"Fewer than {count} recipients became terminal in 2 minutes.\n{Logs(stack)}");
            await Task.Delay(20);
        }
    }

    public static Task WaitForCompletedAsync(DistributedDeployment stack, long campaignId, TimeSpan? timeout = null) =>
        stack.WaitForCountAsync($"SELECT COUNT(*) FROM campaigns WHERE id = {campaignId} AND status = {(int)CampaignStatus.Completed}", 1, timeout ?? TimeSpan.FromMinutes(3));

    /// <summary>
    /// The invariants of a finished send: one log row per customer, each Sent or Failed exactly as the seeded
    /// outcome function decides for its message id, counters equal to the rows, and Delivery having accepted
    /// each message id once.
    /// </summary>
    public static async Task AssertDeliveredExactlyOnceAsync(DistributedDeployment stack, long campaignId, int audience, int seed = 42)
    {
        var rows = new List<(long Id, int Attempt, int Status, string? Reason)>();
        await using (var connection = new MySqlConnection(stack.CrmConnectionString))
        {
            await connection.OpenAsync();
            await using var command = new MySqlCommand($"SELECT id, attempt, status, failure_reason FROM communication_log WHERE campaign_id = {campaignId}", connection);
            await using var reader = await command.ExecuteReaderAsync();
            while (await reader.ReadAsync())
            {
                rows.Add((reader.GetInt64(0), reader.GetInt32(1), reader.GetInt32(2), reader.IsDBNull(3) ? null : reader.GetString(3)));
            }
        }
        Assert.Equal(audience, rows.Count);
        Assert.Equal(audience, await stack.ScalarAsync($"SELECT COUNT(DISTINCT customer_id) FROM communication_log WHERE campaign_id = {campaignId}"));
        var wrong = rows.Where(r =>
        {
            var expected = DeliveryOutcomes.Decide(DeliveryMessageId.Format(r.Id, r.Attempt), seed, SuccessRate);
            return r.Status != (expected.Outcome == DeliveryOutcome.Sent ? (int)MessageStatus.Sent : (int)MessageStatus.Failed) || r.Reason != expected.Reason;
        }).Take(5).ToList();
        Assert.True(wrong.Count == 0, $"Rows whose status is not the seeded outcome: {string.Join(", ", wrong)}");

        var sent = rows.Count(r => r.Status == (int)MessageStatus.Sent);
        var failed = rows.Count(r => r.Status == (int)MessageStatus.Failed);
        Assert.Equal(audience, sent + failed);
        Assert.Equal(audience, await stack.ScalarAsync($"SELECT audience_size FROM campaigns WHERE id = {campaignId}"));
        Assert.Equal(sent, await stack.ScalarAsync($"SELECT sent FROM campaigns WHERE id = {campaignId}"));
        Assert.Equal(failed, await stack.ScalarAsync($"SELECT failed FROM campaigns WHERE id = {campaignId}"));
        Assert.Equal(0, await stack.ScalarAsync($"SELECT skipped FROM campaigns WHERE id = {campaignId}"));

        var api = await stack.Api.GetFromJsonAsync<JsonElement>($"/api/v1/campaigns/{campaignId}");
        Assert.Equal(sent, api.GetProperty("campaign").GetProperty("sent").GetInt32());
        Assert.Equal(failed, api.GetProperty("campaign").GetProperty("failed").GetInt32());
        Assert.Equal(0, api.GetProperty("campaign").GetProperty("pending").GetInt32());

        var stats = await stack.Delivery.StatsAsync();
        Assert.Equal(audience, stats.Accepted);
    }

    public static string Logs(DistributedDeployment stack)
    {
        static string Tail(string text) => text.Length > 4000 ? text[^4000..] : text;
        return $"--- Web ---\n{Tail(stack.Web.Output)}\n--- Workers ---\n{string.Join("\n---\n", stack.Workers.Select(w => Tail(w.Output)))}\n--- Delivery ---\n{Tail(stack.Delivery.Output)}";
    }
}
