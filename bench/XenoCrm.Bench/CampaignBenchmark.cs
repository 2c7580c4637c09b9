using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using MySqlConnector;
using XenoCrm.TestServers;

namespace XenoCrm.Bench;

/// <summary>
/// The <c>campaign</c> scenario: customers seeded with the <c>seed</c> command, a segment of everyone,
/// and a campaign to it sent through the distributed mode (Web, two Workers and Delivery as child processes), timed from
/// the send request until every recipient is Sent or Failed; then the same send with <c>Campaigns__ChunkSize=1</c> on a
/// smaller audience, on a deployment of its own over the same servers, as the naive baseline.
/// </summary>
public sealed class CampaignBenchmark
{
    // CampaignStatus and MessageStatus of XenoCrm.Core, which the bench reads as numbers (it references TestServers only).
    private const int CampaignCompleted = 3;
    private const int CampaignCancelled = 4;
    private const int MessageSent = 2;
    private const int MessageFailed = 3;
    private static readonly TimeSpan _seedTimeout = TimeSpan.FromMinutes(30);
    private static readonly TimeSpan _pollInterval = TimeSpan.FromMilliseconds(100);
    private static readonly TimeSpan _progressInterval = TimeSpan.FromSeconds(10);

    private readonly CampaignSettings _settings;
    private readonly BenchServers _servers;
    private readonly TextWriter _log;
    private readonly CancellationToken _ct;

    private CampaignBenchmark(CampaignSettings settings, BenchServers servers, TextWriter log, CancellationToken ct)
    {
        (_settings, _servers, _log, _ct) = (settings, servers, log, ct);
    }

    public static async Task<CampaignReport> RunAsync(CampaignSettings settings, TextWriter log, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(log);
        settings.Validate();
        var startedAt = DateTimeOffset.UtcNow;
        var loadAverage = BenchMachine.LoadAverage();

        log.WriteLine($"Starting MariaDB (buffer pool {settings.BufferPoolSize}), RabbitMQ and Redis…");
        await using var mariaDb = await MariaDbServer.StartAsync(settings.BufferPoolSize, ct);
        await using var rabbitMq = await RabbitMqServer.StartAsync(ct);
        await using var redis = await RedisServer.StartAsync(ct);
        var run = new CampaignBenchmark(settings, new BenchServers(mariaDb, rabbitMq, redis), log, ct);

        var send = await run.SendAsync($"campaign, {settings.Workers} Workers", settings.Recipients, settings.ChunkSize);
        var baseline = await run.SendAsync($"baseline, {settings.Workers} Workers with Campaigns__ChunkSize=1", settings.BaselineRecipients, chunkSize: 1);

        var machine = await BenchMachine.DescribeAsync(mariaDb, loadAverage, ct);
        return new CampaignReport(settings, startedAt, machine, send, baseline);
    }

    /// <summary>One send on a deployment of its own: seed, segment, campaign, send, wait until all terminal, check.</summary>
    private async Task<CampaignSend> SendAsync(string name, int recipients, int? chunkSize)
    {
        _log.WriteLine($"== {name}: {recipients:N0} recipients ==");
        var workerSettings = new Dictionary<string, string?> { ["Campaigns__ChunkSize"] = chunkSize?.ToString(CultureInfo.InvariantCulture) };
        await using var deployment = await Deployment.StartAsync(_servers, _log, _settings.Workers, workerSettings, _ct);
        try
        {
            var seeding = await SeedAsync(deployment, recipients);
            var campaignId = await CreateCampaignAsync(deployment);

            var cpuBefore = deployment.Apps.Select(a => BenchMachine.CpuSeconds(a.App.Pid)).ToList();
            var machineBefore = BenchMachine.MachineBusySeconds();
            var started = Stopwatch.GetTimestamp();
            using (var response = await deployment.Http.PostAsync(new Uri($"api/v1/campaigns/{campaignId}/send", UriKind.Relative), null, _ct))
            {
                if (response.StatusCode != HttpStatusCode.OK)
                {
                    throw new InvalidOperationException($"POST /api/v1/campaigns/{campaignId}/send answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync(_ct)}");
                }
            }

            var (snapshotted, allTerminal) = await WaitUntilCompletedAsync(deployment, campaignId, recipients, started);
            var machineBusy = BenchMachine.MachineBusySeconds() - machineBefore;
            var usage = deployment.Apps
                .Select((a, i) => new ProcessUsage(a.Name, a.App.PeakRssBytes(), BenchMachine.CpuSeconds(a.App.Pid) - cpuBefore[i]))
                .ToList();
            var checks = await CheckAsync(deployment, campaignId, recipients);
            var result = new CampaignSend(recipients, chunkSize, seeding, snapshotted, allTerminal, checks, usage, machineBusy);
            _log.WriteLine(
                $"  all {recipients:N0} terminal {allTerminal.TotalSeconds:0.00} s after the send request ({result.MessagesPerSecond:N0} messages/s); " +
                $"checks {(checks.AllPassed ? "ok" : "FAILED")} ({checks})");
            return result;
        }
        catch (Exception) when (!_ct.IsCancellationRequested)
        {
            _log.WriteLine($"Phase '{name}' failed; what the apps printed last:\n{deployment.OutputTails()}");
            throw;
        }
    }

    private async Task<TimeSpan> SeedAsync(Deployment deployment, int customers)
    {
        var started = Stopwatch.GetTimestamp();
        var (exitCode, _, stderr) = await deployment.RunWebCommandAsync(
            _seedTimeout, "seed",
            "--customers", customers.ToString(CultureInfo.InvariantCulture),
            "--orders", "0",
            "--seed", _settings.Seed.ToString(CultureInfo.InvariantCulture));
        var elapsed = Stopwatch.GetElapsedTime(started);
        if (exitCode != 0)
        {
            throw new InvalidOperationException($"XenoCrm.Web seed exited with {exitCode}.\n{Tail(stderr)}");
        }

        _log.WriteLine($"  {Tail(stderr, 1).Trim()} ({elapsed.TotalSeconds:0.0} s)");
        return elapsed;
    }

    /// <summary>A segment of every customer and a draft campaign to it, through the API as a client would; returns the campaign's id.</summary>
    private async Task<long> CreateCampaignAsync(Deployment deployment)
    {
        var segment = await PostAsync(deployment, "api/v1/segments", new
        {
            name = "Everyone",
            rules = new { op = "and", rules = new[] { new { field = "order_count", @operator = "gte", value = 0 } } },
        });
        var segmentId = segment.GetProperty("id").GetInt64();
        var campaign = await PostAsync(deployment, "api/v1/campaigns", new { name = "Ten percent off", segmentId, template = _settings.Template });
        return campaign.GetProperty("campaign").GetProperty("id").GetInt64();
    }

    private async Task<JsonElement> PostAsync(Deployment deployment, string path, object body)
    {
        using var response = await deployment.Http.PostAsJsonAsync(new Uri(path, UriKind.Relative), body, _ct);
        var text = await response.Content.ReadAsStringAsync(_ct);
        if (response.StatusCode != HttpStatusCode.Created)
        {
            throw new InvalidOperationException($"POST /{path} answered {(int)response.StatusCode}: {text}");
        }

        using var json = JsonDocument.Parse(text);
        return json.RootElement.Clone();
    }

    /// <summary>
    /// Polls the campaign's row (its counters move in the same transactions as the log rows) until it is Completed, and
    /// returns when the audience was first seen snapshotted and when every recipient was terminal, both since
    /// <paramref name="since"/>. Fails with the apps' output when nothing moves for <see cref="CampaignSettings.StallTimeout"/>.
    /// </summary>
    private async Task<(TimeSpan? Snapshotted, TimeSpan AllTerminal)> WaitUntilCompletedAsync(Deployment deployment, long campaignId, int recipients, long since)
    {
        await using var connection = new MySqlConnection(deployment.CrmConnectionString);
        await connection.OpenAsync(_ct);
        await using var command = new MySqlCommand(
            "SELECT status, audience_size, sent + failed + skipped, last_progress_at FROM campaigns WHERE id = @id", connection);
        command.Parameters.AddWithValue("@id", campaignId);
        TimeSpan? snapshotted = null;
        var lastState = "";
        var lastProgress = Stopwatch.GetTimestamp();
        var lastReport = Stopwatch.GetTimestamp();
        while (true)
        {
            int status;
            int? audience;
            long terminal;
            string state;
            await using (var reader = await command.ExecuteReaderAsync(_ct))
            {
                if (!await reader.ReadAsync(_ct))
                {
                    throw new InvalidOperationException($"Campaign {campaignId} is gone.");
                }

                status = reader.GetInt32(0);
                audience = reader.IsDBNull(1) ? null : reader.GetInt32(1);
                terminal = reader.GetInt64(2);
                state = $"status {status}, audience {audience?.ToString(CultureInfo.InvariantCulture) ?? "not taken"}, {terminal} terminal, " +
                    $"last progress {(reader.IsDBNull(3) ? "never" : reader.GetDateTime(3).ToString("O", CultureInfo.InvariantCulture))}";
            }

            if (audience is not null && snapshotted is null)
            {
                snapshotted = Stopwatch.GetElapsedTime(since);
                _log.WriteLine($"  audience of {audience:N0} snapshotted {snapshotted.Value.TotalSeconds:0.00} s after the send request");
            }

            if (status == CampaignCompleted)
            {
                return (snapshotted, Stopwatch.GetElapsedTime(since));
            }

            if (status == CampaignCancelled)
            {
                throw new InvalidOperationException($"Campaign {campaignId} was cancelled ({state}).");
            }

            if (state != lastState)
            {
                lastState = state;
                lastProgress = Stopwatch.GetTimestamp();
            }
            else if (Stopwatch.GetElapsedTime(lastProgress) > _settings.StallTimeout)
            {
                throw new TimeoutException(
                    $"Campaign {campaignId} to {recipients:N0} recipients made no progress for {_settings.StallTimeout.TotalSeconds:0} s ({state}).\n{deployment.OutputTails()}");
            }

            if (Stopwatch.GetElapsedTime(lastReport) > _progressInterval)
            {
                lastReport = Stopwatch.GetTimestamp();
                var elapsed = Stopwatch.GetElapsedTime(since);
                _log.WriteLine($"  {elapsed.TotalSeconds:0} s: {terminal:N0} of {recipients:N0} terminal ({terminal / elapsed.TotalSeconds:N0}/s so far)");
            }

            await Task.Delay(_pollInterval, _ct);
        }
    }

    /// <summary>The log rows, the campaign's counters in the database and through the API, and what Delivery accepted.</summary>
    private async Task<CampaignChecks> CheckAsync(Deployment deployment, long campaignId, int recipients)
    {
        await using var connection = new MySqlConnection(deployment.CrmConnectionString);
        await connection.OpenAsync(_ct);
        await using var command = new MySqlCommand($"""
            SELECT
              (SELECT COUNT(*) FROM communication_log WHERE campaign_id = @id),
              (SELECT COUNT(*) FROM communication_log WHERE campaign_id = @id AND status = {MessageSent}),
              (SELECT COUNT(*) FROM communication_log WHERE campaign_id = @id AND status = {MessageFailed}),
              audience_size, sent, failed, skipped
            FROM campaigns WHERE id = @id
            """, connection);
        command.Parameters.AddWithValue("@id", campaignId);
        long rows, sentRows, failedRows;
        int audience, sent, failed, skipped;
        await using (var reader = await command.ExecuteReaderAsync(_ct))
        {
            await reader.ReadAsync(_ct);
            (rows, sentRows, failedRows) = (reader.GetInt64(0), reader.GetInt64(1), reader.GetInt64(2));
            (audience, sent, failed, skipped) = (reader.GetInt32(3), reader.GetInt32(4), reader.GetInt32(5), reader.GetInt32(6));
        }

        var api = await deployment.Http.GetFromJsonAsync<JsonElement>(new Uri($"api/v1/campaigns/{campaignId}", UriKind.Relative), _ct);
        var summary = api.GetProperty("campaign");
        return new CampaignChecks(
            recipients, rows, sentRows, failedRows, audience, sent, failed, skipped,
            summary.GetProperty("sent").GetInt64(), summary.GetProperty("failed").GetInt64(), summary.GetProperty("pending").GetInt64(),
            await deployment.DeliveryAcceptedAsync(_ct));
    }

    private static string Tail(string text, int lines = 40) => string.Join('\n', text.TrimEnd().Split('\n').TakeLast(lines));
}
