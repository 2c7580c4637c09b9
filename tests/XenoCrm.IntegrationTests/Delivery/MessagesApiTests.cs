using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using XenoCrm.Delivery;
using XenoCrm.TestServers;
using XenoCrm.ServiceDefaults.Messaging;

namespace XenoCrm.IntegrationTests.Delivery;

/// <summary>One RabbitMQ node for the class, and one Delivery process with the default simulation on its own virtual host.</summary>
public sealed class DeliveryServers : IAsyncLifetime
{
    public const int Seed = 1234;
    public const int MaxBatchSize = 3000;

    public RabbitMqServer RabbitMq { get; private set; } = null!;
    public string DefaultVirtualHost { get; private set; } = null!;
    internal DeliveryProcess Default { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        RabbitMq = await RabbitMqServer.StartAsync();
        DefaultVirtualHost = await RabbitMq.CreateVirtualHostAsync();
        Default = await DeliveryProcess.StartAsync(DefaultVirtualHost, Seed, new Dictionary<string, string> { ["MaxBatchSize"] = "3000" });
    }

    public async Task DisposeAsync()
    {
        if (Default is not null)
        {
            await Default.DisposeAsync();
        }
        await RabbitMq.DisposeAsync();
    }
}

public sealed class MessagesApiTests(DeliveryServers servers) : IClassFixture<DeliveryServers>
{
    private static readonly TimeSpan ReceiptsTimeout = TimeSpan.FromSeconds(20);

    [Fact]
    public async Task PostBatch_PublishesTheOutcomesOfDecide_AndRepublishesTheSameOutcomeForAResubmittedId()
    {
        await using var receipts = await DeliveryProcess.ReadReceiptsAsync(servers.DefaultVirtualHost);
        var delivery = servers.Default;
        var before = await delivery.StatsAsync();
        var first = Enumerable.Range(1, 2_500).Select(i => DeliveryProcess.Message(DeliveryMessageId.Format(i, 1))).ToList();

        using (var response = await delivery.PostBatchAsync(first))
        {
            Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
            Assert.Equal(new DeliverySubmission(2_500, 0), await response.Content.ReadFromJsonAsync<DeliverySubmission>());
        }
        var published = await receipts.ReadAsync(2_500, ReceiptsTimeout);

        Assert.Equal(first.Select(m => m.Id).Order(StringComparer.Ordinal), published.Select(r => r.MessageId).Order(StringComparer.Ordinal));
        Assert.All(published, r => Assert.Equal(DeliveryOutcomes.Decide(r.MessageId, DeliveryServers.Seed, 0.9), new DeliveryOutcomeDecision(r.Outcome, r.Reason)));
        Assert.Contains(published, r => r.Outcome == DeliveryOutcome.Failed);
        Assert.All(receipts.Batches, b => Assert.InRange(b.Receipts.Count, 1, DeliverySimulator.ReceiptsPerMessage));
        Assert.Equal(3, receipts.Batches.Count);

        // A crash between Delivery's answer and the sender's bookkeeping: the chunk is sent again with new messages mixed in.
        var resubmitted = first.Take(10).Concat(Enumerable.Range(1, 5).Select(i => DeliveryProcess.Message(DeliveryMessageId.Format(i, 2)))).ToList();
        using (var response = await delivery.PostBatchAsync(resubmitted))
        {
            Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
            Assert.Equal(new DeliverySubmission(5, 10), await response.Content.ReadFromJsonAsync<DeliverySubmission>());
        }
        var republished = (await receipts.ReadAsync(15, ReceiptsTimeout)).ToDictionary(r => r.MessageId);

        Assert.Equal(15, republished.Count);
        var firstOutcomes = published.ToDictionary(r => r.MessageId);
        foreach (var id in first.Take(10).Select(m => m.Id))
        {
            Assert.Equal((firstOutcomes[id].Outcome, firstOutcomes[id].Reason), (republished[id].Outcome, republished[id].Reason));
        }
        var after = await delivery.StatsAsync();
        Assert.Equal(2_505, after.Accepted - before.Accepted);
        Assert.Equal(10, after.Duplicates - before.Duplicates);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("Bearer wrong-key")]
    [InlineData("Bearer " + DeliveryProcess.ApiKey + "x")]
    [InlineData(DeliveryProcess.ApiKey)]
    public async Task Endpoints_Answer401AndAcceptNothing_WithoutTheRightKey(string? authorization)
    {
        using var client = new HttpClient { BaseAddress = servers.Default.Api.BaseAddress };
        if (authorization is not null)
        {
            client.DefaultRequestHeaders.TryAddWithoutValidation("Authorization", authorization);
        }
        var before = await servers.Default.StatsAsync();

        using var batch = await client.PostAsJsonAsync("/api/v1/messages/batch", new { messages = new[] { DeliveryProcess.Message("unauthorized.1") } });
        using var stats = await client.GetAsync("/api/v1/messages/stats");

        Assert.Equal(HttpStatusCode.Unauthorized, batch.StatusCode);
        Assert.Equal("Bearer", batch.Headers.WwwAuthenticate.Single().Scheme);
        Assert.Equal(HttpStatusCode.Unauthorized, stats.StatusCode);
        Assert.Equal(before.Accepted, (await servers.Default.StatsAsync()).Accepted);
    }

    public static TheoryData<string, string> BadBatches() => new()
    {
        { """{"messages":[]}""", "messages" },
        { """{}""", "messages" },
        { $$"""{"messages":[{{string.Join(",", Enumerable.Range(0, DeliveryServers.MaxBatchSize + 1).Select(i => $$"""{"id":"b{{i}}","to":"x","body":""}"""))}}]}""", "messages" },
        { """{"messages":[{"id":"a","to":"a@shop.test","body":"hi"},{"to":"b@shop.test","body":"hi"}]}""", "messages[1].id" },
        { """{"messages":[{"id":"  ","to":"a@shop.test","body":"hi"}]}""", "messages[0].id" },
        { """{"messages":[{"id":"a","to":"","body":"hi"}]}""", "messages[0].to" },
        { """{"messages":[{"id":"a","body":"hi"}]}""", "messages[0].to" },
        { """{"messages":[{"id":"a","to":"a@shop.test","body":"hi"},{"id":"b","to":"b@shop.test","body":"hi"},{"id":"a","to":"c@shop.test","body":"hi"}]}""", "messages[2].id" },
        { """{"messages":[{"id":"a","to":"a@shop.test","body":"hi"}""", "$" },
    };

    [Theory]
    [MemberData(nameof(BadBatches))]
    public async Task PostBatch_Answers400NamingTheField_AndAcceptsNothing(string body, string field)
    {
        var before = await servers.Default.StatsAsync();
        using var content = new StringContent(body, Encoding.UTF8, "application/json");

        using var response = await servers.Default.Api.PostAsync("/api/v1/messages/batch", content);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        using var problem = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        var fields = problem.RootElement.GetProperty("errors").EnumerateObject().Select(e => e.Name).ToList();
        Assert.True(fields.Contains(field) || (field == "$" && fields.Any(f => f.StartsWith('$'))), $"Expected '{field}' among {string.Join(", ", fields)}.");
        Assert.Equal(before.Accepted, (await servers.Default.StatsAsync()).Accepted);
    }

    [Fact]
    public async Task PostBatch_AlwaysAnswers500AndAcceptsNothing_WhenServerErrorRateIsOne()
    {
        var virtualHost = await servers.RabbitMq.CreateVirtualHostAsync();
        await using var receipts = await DeliveryProcess.ReadReceiptsAsync(virtualHost);
        await using var delivery = await DeliveryProcess.StartAsync(virtualHost, seed: 1, new Dictionary<string, string> { ["ServerErrorRate"] = "1" });

        for (var i = 0; i < 10; i++)
        {
            using var response = await delivery.PostBatchAsync([DeliveryProcess.Message($"e.{i}"), DeliveryProcess.Message($"f.{i}")]);
            Assert.Equal(HttpStatusCode.InternalServerError, response.StatusCode);
        }

        Assert.Equal(new DeliveryStats(0, 0, 10, 0, 0), await delivery.StatsAsync());
        Assert.True(await receipts.StaysEmptyAsync(TimeSpan.FromMilliseconds(500)), "A receipt was published for a batch answered 500.");
    }

    [Fact]
    public async Task PostBatch_AnswersEachFaultInItsShare_AndCountsThem()
    {
        var virtualHost = await servers.RabbitMq.CreateVirtualHostAsync();
        await using var delivery = await DeliveryProcess.StartAsync(virtualHost, seed: 2, new Dictionary<string, string>
        {
            ["ServerErrorRate"] = "0.25",
            ["TooManyRequestsRate"] = "0.25",
            ["TimeoutRate"] = "0.2",
            ["TimeoutDelay"] = "00:00:00.200",
        });
        var statuses = new List<HttpStatusCode>();

        for (var i = 0; i < 60; i++)
        {
            var watch = Stopwatch.StartNew();
            using var response = await delivery.PostBatchAsync([DeliveryProcess.Message($"m.{i}")]);
            statuses.Add(response.StatusCode);
            if (response.StatusCode == HttpStatusCode.TooManyRequests)
            {
                Assert.Equal(TimeSpan.FromSeconds(1), response.Headers.RetryAfter?.Delta);
            }
            if (response.StatusCode == HttpStatusCode.GatewayTimeout)
            {
                Assert.True(watch.Elapsed >= TimeSpan.FromMilliseconds(190), $"A 504 came after {watch.Elapsed.TotalMilliseconds:0} ms.");
            }
        }

        // The rolls are seeded, so these 60 requests get the same answers every run; seed 2 gives every kind.
        int Count(HttpStatusCode status) => statuses.Count(s => s == status);
        Assert.All(statuses, s => Assert.Contains(s, new[] { HttpStatusCode.Accepted, HttpStatusCode.InternalServerError, HttpStatusCode.TooManyRequests, HttpStatusCode.GatewayTimeout }));
        Assert.All(new[] { HttpStatusCode.Accepted, HttpStatusCode.InternalServerError, HttpStatusCode.TooManyRequests, HttpStatusCode.GatewayTimeout },
            s => Assert.True(Count(s) > 0, $"No {s} among {string.Join(", ", statuses)}."));
        Assert.Equal(
            new DeliveryStats(Count(HttpStatusCode.Accepted), 0, Count(HttpStatusCode.InternalServerError), Count(HttpStatusCode.TooManyRequests), Count(HttpStatusCode.GatewayTimeout)),
            await delivery.StatsAsync());
    }
}
