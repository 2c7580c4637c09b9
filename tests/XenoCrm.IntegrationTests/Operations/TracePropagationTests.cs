using System.Net;
using System.Text;
using XenoCrm.IntegrationTests.Campaigns;
using XenoCrm.IntegrationTests.Infrastructure;

namespace XenoCrm.IntegrationTests.Operations;

/// <summary>One trace id, given by the client, followed through the processes in their JSON logs.</summary>
[Collection(SharedServersDefinition.Name)]
public sealed class TracePropagationTests(SharedServers servers)
{
    [Fact]
    public async Task Trace_FollowsIngestionAndASend_AcrossWebRabbitMqWorkersAndDelivery()
    {
        var settings = CampaignDeployment.FastRecovery(chunkSize: 500);
        settings["Logging__Console__FormatterName"] = "json";
        settings["Logging__LogLevel__XenoCrm.Core.Messaging"] = "Debug";
        await using var stack = await DistributedDeployment.StartAsync(servers.MariaDb, servers.RabbitMq, servers.Redis, settings);

        var ingestTrace = NewTraceId();
        using (var request = new HttpRequestMessage(HttpMethod.Post, "/api/v1/customers")
        {
            Content = new StringContent("""{"externalId":"t-1","email":"trace@shop.test","name":"Trace Person","city":"Pune"}""", Encoding.UTF8, "application/json"),
        })
        {
            request.Headers.Add("traceparent", $"00-{ingestTrace}-{NewSpanId()}-01");
            using var accepted = await stack.Api.SendAsync(request);
            Assert.Equal(HttpStatusCode.Accepted, accepted.StatusCode);
        }
        await stack.WaitForCountAsync("SELECT COUNT(*) FROM customers", 1);
        await WaitForLogAsync(stack, ingestTrace, "ingest.customers messages");

        var campaignId = await CampaignDeployment.CreateCampaignAsync(stack);
        var sendTrace = NewTraceId();
        using (var request = new HttpRequestMessage(HttpMethod.Post, $"/api/v1/campaigns/{campaignId}/send"))
        {
            request.Headers.Add("traceparent", $"00-{sendTrace}-{NewSpanId()}-01");
            using var sent = await stack.Api.SendAsync(request);
            Assert.Equal(HttpStatusCode.OK, sent.StatusCode);
        }
        await CampaignDeployment.WaitForCompletedAsync(stack, campaignId);
        // Web → Hangfire → the chunk job in Workers, and on through Delivery's HTTP API and its receipts back to Workers.
        await WaitForLogAsync(stack, sendTrace, "messages handed to Delivery");
        await WaitForLogAsync(stack, sendTrace, "delivery.receipts messages");
    }

    private static async Task WaitForLogAsync(DistributedDeployment stack, string traceId, string text)
    {
        for (var i = 0; i < 100; i++)
        {
            var lines = stack.Workers.SelectMany(w => w.Output.Split('\n'));
            if (lines.Any(line => line.Contains(traceId, StringComparison.Ordinal) && line.Contains(text, StringComparison.Ordinal)))
            {
                return;
            }
            await Task.Delay(100);
        }
        Assert.Fail($"No Workers log line has trace {traceId} and '{text}'.\n{CampaignDeployment.Logs(stack)}");
    }

    private static string NewTraceId() => Convert.ToHexStringLower(Guid.NewGuid().ToByteArray());

    private static string NewSpanId() => Convert.ToHexStringLower(Guid.NewGuid().ToByteArray()[..8]);
}
