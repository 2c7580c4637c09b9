using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using MySqlConnector;
using XenoCrm.Core.Campaigns;
using XenoCrm.Core.Data;
using XenoCrm.Delivery;
using XenoCrm.IntegrationTests.Infrastructure;
using XenoCrm.ServiceDefaults.Messaging;

namespace XenoCrm.IntegrationTests.Campaigns;

/// <summary>"Retry failed" on real servers: only transient failures go again, and every attempt's failures stay visible.</summary>
[Collection(SharedServersDefinition.Name)]
public sealed class RetryFailedTests(SharedServers servers)
{
    private const int Audience = 2_000;
    private const string Transient = "Mailbox full";

    [Fact]
    public async Task RetryFailed_ResendsOnlyTransientFailures_AndKeepsTheFirstAttemptsFailures()
    {
        await using var stack = await DistributedDeployment.StartAsync(servers.MariaDb, servers.RabbitMq, servers.Redis);
        await CampaignDeployment.SeedCustomersAsync(stack, Audience);
        var campaignId = await CampaignDeployment.CreateCampaignAsync(stack);
        await CampaignDeployment.SendNowAsync(stack, campaignId);
        await CampaignDeployment.WaitForCompletedAsync(stack, campaignId);

        var first = await RowsAsync(stack, campaignId);
        var firstFailures = first.Where(r => r.Status == MessageStatus.Failed).ToList();
        var reasons = firstFailures.GroupBy(r => r.Reason!).ToDictionary(g => g.Key, g => g.Count());
        Assert.True(DeliveryOutcomes.FailureReasons.All(reasons.ContainsKey),
            $"The first attempt should fail with every reason; it failed with {string.Join(", ", reasons.Keys)}.");
        var transient = firstFailures.Where(r => r.Reason == Transient).Select(r => r.Id).ToHashSet();
        var permanent = firstFailures.Count - transient.Count;

        // Before the retry, the campaign says what a retry will do.
        var before = await stack.Api.GetFromJsonAsync<JsonElement>($"/api/v1/campaigns/{campaignId}");
        Assert.Equal(transient.Count, before.GetProperty("retry").GetProperty("retryable").GetInt32());
        Assert.Equal(permanent, before.GetProperty("retry").GetProperty("permanent").GetInt32());

        using (var retried = await stack.Api.PostAsync($"/api/v1/campaigns/{campaignId}/retry-failed", null))
        {
            Assert.True(retried.StatusCode == HttpStatusCode.OK, await retried.Content.ReadAsStringAsync());
        }
        await CampaignDeployment.WaitForCompletedAsync(stack, campaignId);

        // Permanent failures did not move; transient ones went again as attempt 2, with the seeded outcome of their new id.
        var second = (await RowsAsync(stack, campaignId)).ToDictionary(r => r.Id);
        foreach (var row in first)
        {
            var now = second[row.Id];
            if (transient.Contains(row.Id))
            {
                var expected = DeliveryOutcomes.Decide(DeliveryMessageId.Format(row.Id, 2), 42, CampaignDeployment.SuccessRate);
                Assert.Equal(2, now.Attempt);
                Assert.Equal(expected.Outcome == DeliveryOutcome.Sent ? MessageStatus.Sent : MessageStatus.Failed, now.Status);
                Assert.Equal(expected.Reason, now.Reason);
            }
            else
            {
                Assert.Equal(row, now);
            }
        }
        // Delivery was handed the audience once and the transient failures once more, nothing else.
        var stats = await stack.Delivery.StatsAsync();
        Assert.Equal(Audience + transient.Count, stats.Accepted);
        Assert.Equal(0, stats.Duplicates);

        // The counters are the rows, and the earlier attempts are the resent rows' first failures.
        var sent = second.Values.Count(r => r.Status == MessageStatus.Sent);
        var failedNow = second.Values.Count(r => r.Status == MessageStatus.Failed);
        Assert.Equal(sent, await stack.ScalarAsync($"SELECT sent FROM campaigns WHERE id = {campaignId}"));
        Assert.Equal(failedNow, await stack.ScalarAsync($"SELECT failed FROM campaigns WHERE id = {campaignId}"));
        Assert.Equal(Audience, sent + failedNow);
        Assert.Equal(transient.Count, await stack.ScalarAsync(
            $"SELECT COUNT(*) FROM earlier_attempts WHERE campaign_id = {campaignId} AND attempt = 1 AND failure_reason = '{Transient}'"));
        Assert.Equal(transient.Count, await stack.ScalarAsync($"SELECT COUNT(*) FROM earlier_attempts WHERE campaign_id = {campaignId}"));

        // The failures table: attempt 1 exactly as it ended, then attempt 2's own failures.
        var detail = await stack.Api.GetFromJsonAsync<JsonElement>($"/api/v1/campaigns/{campaignId}");
        var table = detail.GetProperty("failures").EnumerateArray()
            .Select(f => (Reason: f.GetProperty("reason").GetString()!, Attempt: f.GetProperty("attempt").GetInt32(), Count: f.GetProperty("count").GetInt32(), Permanent: f.GetProperty("permanent").GetBoolean()))
            .ToList();
        foreach (var (reason, count) in reasons)
        {
            Assert.Contains((reason, 1, count, reason != Transient), table);
        }
        var secondFailures = second.Values.Where(r => r.Status == MessageStatus.Failed && r.Attempt == 2).GroupBy(r => r.Reason!).ToDictionary(g => g.Key, g => g.Count());
        Assert.Equal(secondFailures.Values.Sum(), table.Where(f => f.Attempt == 2).Sum(f => f.Count));
        Assert.Equal(firstFailures.Count + secondFailures.Values.Sum(), table.Sum(f => f.Count));
        Assert.Equal(secondFailures.GetValueOrDefault(Transient), detail.GetProperty("retry").GetProperty("retryable").GetInt32());

        // The chart counts every attempt's failures where they happened.
        await using var db = new MySqlCrmDbContext(new DbContextOptionsBuilder<MySqlCrmDbContext>()
            .UseMySql(stack.CrmConnectionString, new MySqlServerVersion(new Version(8, 0, 36))).Options);
        var timeline = await CampaignStatistics.TimelineAsync(db, campaignId, CancellationToken.None);
        Assert.Equal(sent, timeline.Sum(p => p.Sent));
        Assert.Equal(firstFailures.Count + secondFailures.Values.Sum(), timeline.Sum(p => p.Failed));
    }

    [Fact]
    public async Task RetryFailed_IsRefused_WhenEveryFailureIsPermanent()
    {
        await using var stack = await DistributedDeployment.StartAsync(servers.MariaDb, servers.RabbitMq, servers.Redis);
        await CampaignDeployment.SeedCustomersAsync(stack, 300);
        var campaignId = await CampaignDeployment.CreateCampaignAsync(stack);
        await CampaignDeployment.SendNowAsync(stack, campaignId);
        await CampaignDeployment.WaitForCompletedAsync(stack, campaignId);
        // Turn the transient failures into permanent ones, as if the vendor had said so.
        await stack.ScalarAsync($"UPDATE communication_log SET failure_reason = 'Recipient unknown' WHERE campaign_id = {campaignId} AND failure_reason = '{Transient}'");

        using var retried = await stack.Api.PostAsync($"/api/v1/campaigns/{campaignId}/retry-failed", null);
        Assert.Equal(HttpStatusCode.Conflict, retried.StatusCode);
        Assert.Contains("failed permanently", await retried.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(1, await stack.ScalarAsync($"SELECT attempt FROM campaigns WHERE id = {campaignId}"));
        Assert.Equal(0, await stack.ScalarAsync($"SELECT COUNT(*) FROM earlier_attempts WHERE campaign_id = {campaignId}"));
    }

    private sealed record Row(long Id, int Attempt, MessageStatus Status, string? Reason);

    private static async Task<List<Row>> RowsAsync(DistributedDeployment stack, long campaignId)
    {
        var rows = new List<Row>();
        await using var connection = new MySqlConnection(stack.CrmConnectionString);
        await connection.OpenAsync();
        await using var command = new MySqlCommand($"SELECT id, attempt, status, failure_reason FROM communication_log WHERE campaign_id = {campaignId}", connection);
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            rows.Add(new Row(reader.GetInt64(0), reader.GetInt32(1), (MessageStatus)reader.GetInt32(2), reader.IsDBNull(3) ? null : reader.GetString(3)));
        }
        return rows;
    }
}
