using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.RegularExpressions;
using XenoCrm.Core.Campaigns;
using XenoCrm.IntegrationTests.Campaigns;
using XenoCrm.IntegrationTests.Infrastructure;

namespace XenoCrm.IntegrationTests.Operations;

/// <summary>
/// The Prometheus endpoints of Web and Workers, scraped while records are ingested and a campaign is sent, against the
/// rows the database ends with; and the System page, which shows the same figures to admins.
/// </summary>
[Collection(SharedServersDefinition.Name)]
public sealed partial class MetricsTests(SharedServers servers)
{
    private const int Customers = 1_500;
    private const int Orders = 2_000;
    private const int Batch = 250;

    [Fact]
    public async Task Metrics_MoveDuringTheWork_AndEqualTheRowsCommitted_WhenIngestingAndSendingACampaign()
    {
        await using var stack = await DistributedDeployment.StartAsync(servers.MariaDb, servers.RabbitMq, servers.Redis,
            new Dictionary<string, string?>
            {
                ["Messaging__RetryDelay"] = "00:00:00.500",
                ["Messaging__MaxAttempts"] = "2",
                ["Campaigns__ChunkSize"] = "50",
                ["Logging__Console__FormatterName"] = "json",
            },
            deliverySimulation: new Dictionary<string, string> { ["Latency"] = "00:00:00.300" });
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(30) };
        var web = stack.Api.BaseAddress!;
        var worker = stack.WorkerUrls[0];

        // Customers, then orders once every customer is stored, so that no order waits for its customer; and one order
        // whose customer never comes, which is dead-lettered.
        await PostAsync(stack, "customers", Customers, i => new { externalId = $"c-{i}", email = $"c{i}@shop.test", name = $"Customer {i}" });
        await stack.WaitForCountAsync("SELECT COUNT(*) FROM customers", Customers, TimeSpan.FromMinutes(1));
        var afterCustomers = await ScrapeAsync(http, web);
        var workerAfterCustomers = await ScrapeAsync(http, worker);

        await PostAsync(stack, "orders", Orders, i => new { externalId = $"o-{i}", customerExternalId = $"c-{i % Customers}", amount = 10 + i % 90, orderedAt = "2026-01-15T10:00:00Z" });
        using (var orphan = await stack.PostJsonAsync("/api/v1/orders", new { externalId = "o-orphan", customerExternalId = "c-nobody", amount = 5 }))
        {
            Assert.Equal(HttpStatusCode.Accepted, orphan.StatusCode);
        }
        await stack.WaitForCountAsync("SELECT COUNT(*) FROM orders", Orders, TimeSpan.FromMinutes(1));
        await stack.WaitForCountAsync("SELECT COUNT(*) FROM dead_letters", 1, TimeSpan.FromSeconds(30));

        // The counters moved between the two scrapes, by what happened in between.
        var afterOrders = await ScrapeAsync(http, web);
        var deadLetters = await stack.ScalarAsync("SELECT COUNT(*) FROM dead_letters");
        var workerAfterOrders = await ScrapeUntilAsync(http, worker,
            s => s.Sum("xenocrm_dead_letters_total", ("kind", "orders")) >= deadLetters
                 && s.Sum("xenocrm_ingestion_committed_total", ("kind", "orders")) - workerAfterCustomers.Sum("xenocrm_ingestion_committed_total", ("kind", "orders")) >= Orders);
        Assert.Equal(Customers, afterCustomers.Sum("xenocrm_ingestion_accepted_total", ("kind", "customers")));
        Assert.Equal(0, afterCustomers.Sum("xenocrm_ingestion_accepted_total", ("kind", "orders")));
        Assert.Equal(Orders + 1, afterOrders.Sum("xenocrm_ingestion_accepted_total", ("kind", "orders")) - afterCustomers.Sum("xenocrm_ingestion_accepted_total", ("kind", "orders")));
        Assert.Equal(Customers, workerAfterCustomers.Sum("xenocrm_ingestion_committed_total", ("kind", "customers")));
        Assert.Equal(Orders, workerAfterOrders.Sum("xenocrm_ingestion_committed_total", ("kind", "orders")) - workerAfterCustomers.Sum("xenocrm_ingestion_committed_total", ("kind", "orders")));
        Assert.Equal(deadLetters, workerAfterOrders.Sum("xenocrm_dead_letters_total", ("kind", "orders")));

        // A campaign to every customer, scraped while it sends.
        var campaignId = await CampaignDeployment.CreateCampaignAsync(stack);
        await CampaignDeployment.SendNowAsync(stack, campaignId);
        var during = new List<Scrape>();
        var deadline = DateTime.UtcNow + TimeSpan.FromMinutes(2);
        while (await stack.ScalarAsync($"SELECT status FROM campaigns WHERE id = {campaignId}") != (int)CampaignStatus.Completed)
        {
            Assert.True(DateTime.UtcNow < deadline, $"The campaign did not complete in 2 minutes.\n{CampaignDeployment.Logs(stack)}");
            during.Add(await ScrapeAsync(http, worker));
            await Task.Delay(150);
        }
        var completedDuring = during.Select(s => s.Sum("xenocrm_campaign_messages_completed_total")).Where(c => c is > 0 and < Customers).Distinct().Count();
        Assert.True(completedDuring >= 2, $"The completed counter took {completedDuring} values strictly between 0 and {Customers} over {during.Count} scrapes during the send.");

        // The receipts can complete a campaign before its last chunk job has committed its Submitted mark (Delivery
        // publishes them before answering).
        var final = await ScrapeUntilAsync(http, worker,
            s => s.Sum("xenocrm_campaign_messages_submitted_total") >= Customers && s.Sum("xenocrm_campaign_messages_completed_total") >= Customers);
        var finalWeb = await ScrapeAsync(http, web);
        var sent = await stack.ScalarAsync($"SELECT COUNT(*) FROM communication_log WHERE campaign_id = {campaignId} AND status = {(int)MessageStatus.Sent}");
        var failed = await stack.ScalarAsync($"SELECT COUNT(*) FROM communication_log WHERE campaign_id = {campaignId} AND status = {(int)MessageStatus.Failed}");
        Assert.Equal(Customers, sent + failed);
        Assert.Equal(Customers, final.Sum("xenocrm_campaign_messages_submitted_total"));
        Assert.Equal(sent, final.Sum("xenocrm_campaign_messages_completed_total", ("outcome", "sent")));
        Assert.Equal(failed, final.Sum("xenocrm_campaign_messages_completed_total", ("outcome", "failed")));
        // Every row of the database, counted by the processes that committed it.
        Assert.Equal(await stack.ScalarAsync("SELECT COUNT(*) FROM customers"), final.Sum("xenocrm_ingestion_committed_total", ("kind", "customers")));
        Assert.Equal(await stack.ScalarAsync("SELECT COUNT(*) FROM orders"), final.Sum("xenocrm_ingestion_committed_total", ("kind", "orders")));
        Assert.Equal(Customers + Orders + 1, finalWeb.Sum("xenocrm_ingestion_accepted_total"));

        Assert.True(final.Sum("xenocrm_hangfire_job_duration_seconds_count", ("job", "CampaignChunkJob")) >= Customers / 50,
            $"Chunk jobs timed: {final.Sum("xenocrm_hangfire_job_duration_seconds_count", ("job", "CampaignChunkJob"))}");
        Assert.True(final.Sum("xenocrm_hangfire_job_duration_seconds_count", ("job", "CampaignStartJob")) >= 1);
        foreach (var scrape in new[] { final, finalWeb })
        {
            Assert.Contains(scrape.Samples, s => s.Name == "xenocrm_queue_depth" && s.Labels.GetValueOrDefault("queue") == "xenocrm.ingest.orders");
            Assert.Contains(scrape.Samples, s => s.Name == "xenocrm_queue_depth" && s.Labels.GetValueOrDefault("queue") == "xenocrm.delivery.receipts.retry");
        }
        Assert.Contains(final.Samples, s => s.Name == "xenocrm_consumer_lag_seconds" && s.Labels.GetValueOrDefault("kind") == "receipts");

        // The campaign's jobs log with its id in their scope (the Workers here write JSON lines).
        Assert.Contains($"\"CampaignId\":{campaignId}", stack.Workers[0].Output, StringComparison.Ordinal);

        await AssertSystemPageAsync(stack);
    }

    private static async Task AssertSystemPageAsync(DistributedDeployment stack)
    {
        using var admin = await DevelopmentSignInClient.CreateAsync(stack.Api.BaseAddress!, "admin@shop.test");
        using var page = await admin.GetAsync("/system");
        var html = await page.Content.ReadAsStringAsync();
        Assert.True(page.StatusCode == HttpStatusCode.OK, $"GET /system as admin: {(int)page.StatusCode} {html}");
        Assert.Contains($"id=\"system-customers\">{Customers:N0}<", html, StringComparison.Ordinal);
        Assert.Contains($"id=\"system-orders\">{Orders:N0}<", html, StringComparison.Ordinal);
        Assert.Contains("id=\"system-dead-letters\">1<", html, StringComparison.Ordinal);

        using var request = new HttpRequestMessage(HttpMethod.Get, "/system?handler=Figures");
        request.Headers.Accept.ParseAdd("application/json");
        using var figures = await admin.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, figures.StatusCode);
        var json = await figures.Content.ReadFromJsonAsync<JsonElement>();
        var ingestion = json.GetProperty("ingestion");
        Assert.Equal(Customers, ingestion.GetProperty("customers").GetInt64());
        Assert.Equal(Orders, ingestion.GetProperty("orders").GetInt64());
        Assert.Equal(Customers, ingestion.GetProperty("acceptedCustomers").GetInt64());
        Assert.Equal(Orders + 1, ingestion.GetProperty("acceptedOrders").GetInt64());
        Assert.Equal(1, json.GetProperty("deadLetters").GetInt64());
        Assert.Equal(0, json.GetProperty("campaigns").GetProperty("sending").GetInt64());
        Assert.Contains(json.GetProperty("queues").EnumerateArray(), q => q.GetProperty("queue").GetString() == "xenocrm.ingest.customers");
        Assert.True(json.GetProperty("hangfire").GetProperty("succeeded").GetInt64() >= 1, json.GetProperty("hangfire").ToString());

        using var member = await DevelopmentSignInClient.CreateAsync(stack.Api.BaseAddress!, "member@shop.test");
        foreach (var path in new[] { "/system", "/system?handler=Figures" })
        {
            using var refused = await member.GetAsync(path);
            Assert.True(refused.StatusCode == HttpStatusCode.Forbidden
                        || refused.StatusCode == HttpStatusCode.Redirect && refused.Headers.Location?.OriginalString.Contains("/account/denied", StringComparison.Ordinal) == true,
                $"GET {path} as a member: {(int)refused.StatusCode} {refused.Headers.Location}");
        }
    }


    private static async Task PostAsync(DistributedDeployment stack, string resource, int count, Func<int, object> record)
    {
        for (var start = 0; start < count; start += Batch)
        {
            var items = Enumerable.Range(start, Math.Min(Batch, count - start)).Select(record).ToList();
            using var response = await stack.PostJsonAsync($"/api/v1/{resource}", new { items });
            Assert.True(response.StatusCode == HttpStatusCode.Accepted, $"POST {resource}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
        }
    }

    private sealed record Sample(string Name, IReadOnlyDictionary<string, string> Labels, double Value);

    /// <summary>One scrape in Prometheus' text format: <c>name{label="value",…} value [timestamp]</c> per line.</summary>
    private sealed record Scrape(IReadOnlyList<Sample> Samples)
    {
        public long Sum(string name, params (string Label, string Value)[] labels) =>
            (long)Samples.Where(s => s.Name == name && labels.All(l => s.Labels.GetValueOrDefault(l.Label) == l.Value)).Sum(s => s.Value);
    }

    /// <summary>
    /// Scrapes until <paramref name="settled"/> holds, for up to 15 s, and returns the last scrape (the assertions then
    /// say what is off). A counter moves just after the commit it counts, and a scrape may be answered from the
    /// exporter's cache of a few hundred ms, so on a loaded machine the first scrape after the rows can lag them.
    /// </summary>
    private static async Task<Scrape> ScrapeUntilAsync(HttpClient http, Uri process, Func<Scrape, bool> settled)
    {
        var scrape = await ScrapeAsync(http, process);
        for (var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(15); !settled(scrape) && DateTime.UtcNow < deadline;)
        {
            await Task.Delay(200);
            scrape = await ScrapeAsync(http, process);
        }
        return scrape;
    }

    private static async Task<Scrape> ScrapeAsync(HttpClient http, Uri process)
    {
        using var response = await http.GetAsync(new Uri(process, "/metrics"));
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"GET {process}metrics: {(int)response.StatusCode} {text}");
        var samples = new List<Sample>();
        foreach (var line in text.Split('\n'))
        {
            if (line.Length == 0 || line[0] == '#')
            {
                continue;
            }
            var match = SampleLine().Match(line);
            Assert.True(match.Success, $"Not a sample line: {line}");
            var labels = LabelPair().Matches(match.Groups["labels"].Value)
                .ToDictionary(m => m.Groups["key"].Value, m => Regex.Unescape(m.Groups["value"].Value));
            samples.Add(new Sample(match.Groups["name"].Value, labels, double.Parse(match.Groups["value"].Value, CultureInfo.InvariantCulture)));
        }
        return new Scrape(samples);
    }

    [GeneratedRegex("""^(?<name>[a-zA-Z_:][a-zA-Z0-9_:]*)(\{(?<labels>.*)\})? (?<value>\S+)( \d+)?$""")]
    private static partial Regex SampleLine();

    [GeneratedRegex(@"(?<key>[a-zA-Z_][a-zA-Z0-9_]*)=""(?<value>(?:[^""\\]|\\.)*)""")]
    private static partial Regex LabelPair();
}
