using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Runtime.InteropServices;
using System.Text.Json;
using System.Text.Json.Nodes;
using MySqlConnector;
using XenoCrm.TestServers;

namespace XenoCrm.Bench;

/// <summary>
/// The <c>segment</c> scenario: a database seeded with the <c>seed</c> command, XenoCrm.Web in its
/// distributed mode over it, and for each of <see cref="SegmentTrees"/> the latency of
/// <c>POST /api/v1/segments/preview</c> beside the same count written by hand in SQL, with the counts compared.
/// </summary>
public sealed class SegmentBenchmark
{
    private const string Web = "XenoCrm.Web";
    private const string PreviewPath = "api/v1/segments/preview";
    // A relative-time rule ("in the last 90 days") can move a customer across its bound between the two counts.
    private const int CountAttempts = 3;
    private static readonly TimeSpan _startTimeout = TimeSpan.FromSeconds(90);
    private static readonly TimeSpan _seedTimeout = TimeSpan.FromMinutes(20);

    private readonly SegmentSettings _settings;
    private readonly TextWriter _log;
    private readonly CancellationToken _ct;

    private SegmentBenchmark(SegmentSettings settings, TextWriter log, CancellationToken ct)
    {
        (_settings, _log, _ct) = (settings, log, ct);
    }

    public static async Task<SegmentReport> RunAsync(SegmentSettings settings, TextWriter log, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(log);
        settings.Validate();
        var startedAt = DateTimeOffset.UtcNow;
        var loadAverageAtStart = BenchMachine.LoadAverage();
        var run = new SegmentBenchmark(settings, log, ct);

        log.WriteLine($"Starting MariaDB (buffer pool {settings.BufferPoolSize}), RabbitMQ and Redis…");
        await using var mariaDb = await MariaDbServer.StartAsync(settings.BufferPoolSize, ct);
        await using var rabbitMq = await RabbitMqServer.StartAsync(ct);
        await using var redis = await RedisServer.StartAsync(ct);
        var crm = await mariaDb.CreateDatabaseAsync(ct: ct);
        var environment = new Dictionary<string, string?>
        {
            ["ConnectionStrings__Crm"] = crm,
            ["ConnectionStrings__RabbitMq"] = await rabbitMq.CreateVirtualHostAsync(ct: ct),
            ["ConnectionStrings__Redis"] = redis.ConnectionString,
            // As in Deployment: nobody signs in during a bench, and one API key is driven past a shop's normal rate.
            ["Auth__DevelopmentSignIn"] = "true",
            ["Auth__AllowedDomains__0"] = "bench.test",
            ["RateLimit__PermitsPerSecond"] = "1000000",
            ["RateLimit__Burst"] = "1000000",
            // The distributed mode encrypts its data-protection keys with a certificate it is given.
            ["DataProtection__CertificatePath"] = KeyCertificates.SharedPath,
            ["DataProtection__CertificatePassword"] = KeyCertificates.Password,
        };

        var seeded = await run.SeedAsync(environment);
        await using var connection = new MySqlConnection(crm);
        await connection.OpenAsync(ct);
        // What a DBA does after a bulk load; both paths read the same statistics.
        await ExecuteAsync(connection, "ANALYZE TABLE customers");
        var customers = Convert.ToInt64(await ScalarAsync(connection, "SELECT COUNT(*) FROM customers"), CultureInfo.InvariantCulture);

        var (web, http) = await run.StartWebAsync(environment);
        await using var _ = web;
        using var __ = http;
        var results = new List<TreeResult>();
        try
        {
            foreach (var tree in SegmentTrees.All(DateTime.UtcNow))
            {
                results.Add(await run.MeasureAsync(tree, http, connection));
            }
        }
        catch (Exception) when (!ct.IsCancellationRequested)
        {
            log.WriteLine($"The segment scenario failed; what {Web} printed last:\n{OutputTail(web)}");
            throw;
        }

        var machine = $"{Environment.ProcessorCount} cores, {RuntimeInformation.OSDescription}, " +
            $"load average {loadAverageAtStart} at start and {BenchMachine.LoadAverage()} at the end, " +
            $"MariaDB {await ScalarAsync(connection, "SELECT VERSION()")} (buffer pool {settings.BufferPoolSize}), commit {BenchMachine.GitCommit()}";
        return new SegmentReport(settings, startedAt, machine, customers, seeded, results, web.PeakRssBytes());
    }

    private async Task<TimeSpan> SeedAsync(Dictionary<string, string?> environment)
    {
        _log.WriteLine($"Seeding {_settings.Customers:N0} customers and {_settings.Orders:N0} orders (seed {_settings.Seed})…");
        var started = Stopwatch.GetTimestamp();
        var (exitCode, _, stderr) = await AppProcess.RunToEndAsync(
            Web, new Dictionary<string, string?> { ["ConnectionStrings__Crm"] = environment["ConnectionStrings__Crm"] }, _seedTimeout,
            "seed",
            "--customers", _settings.Customers.ToString(CultureInfo.InvariantCulture),
            "--orders", _settings.Orders.ToString(CultureInfo.InvariantCulture),
            "--seed", _settings.Seed.ToString(CultureInfo.InvariantCulture));
        var elapsed = Stopwatch.GetElapsedTime(started);
        if (exitCode != 0)
        {
            throw new InvalidOperationException($"{Web} seed exited with {exitCode}.\n{Tail(stderr)}");
        }

        _log.WriteLine($"  {Tail(stderr, 1).Trim()} ({elapsed.TotalSeconds:0.0} s with migrations)");
        return elapsed;
    }

    private async Task<(AppProcess Web, HttpClient Http)> StartWebAsync(Dictionary<string, string?> environment)
    {
        var (exitCode, key, stderr) = await AppProcess.RunToEndAsync(Web, environment, _startTimeout, "api-keys", "create", "bench");
        if (exitCode != 0 || string.IsNullOrWhiteSpace(key))
        {
            throw new InvalidOperationException($"{Web} api-keys create exited with {exitCode} and printed no key.\n{Tail(stderr)}");
        }

        var url = $"http://127.0.0.1:{FreePort.Next()}";
        var web = AppProcess.Start(Web, environment, "--urls", url);
        try
        {
            await web.WaitForHttpOkAsync($"{url}/health/live", _startTimeout);
            _ct.ThrowIfCancellationRequested();
        }
        catch
        {
            _log.WriteLine($"{Web} did not start; what it printed last:\n{OutputTail(web)}");
            await web.DisposeAsync();
            throw;
        }

        // One connection, calls one after another: latency, not throughput.
        var http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = 1, PooledConnectionIdleTimeout = TimeSpan.FromMinutes(5) })
        {
            BaseAddress = new Uri(url),
            Timeout = TimeSpan.FromSeconds(60),
        };
        http.DefaultRequestHeaders.Add("X-Api-Key", key.Trim());
        _log.WriteLine($"  {Web} pid {web.Pid} on {url}");
        return (web, http);
    }

    private async Task<TreeResult> MeasureAsync(SegmentTree tree, HttpClient http, MySqlConnection connection)
    {
        var body = JsonSerializer.SerializeToUtf8Bytes(new JsonObject { ["rules"] = tree.Rules.DeepClone() });
        await using var sql = new MySqlCommand(tree.Sql, connection);
        async Task<long> Sql() => Convert.ToInt64(await sql.ExecuteScalarAsync(_ct), CultureInfo.InvariantCulture);

        for (var i = 0; i < _settings.WarmUpCalls; i++)
        {
            await PreviewAsync(http, body, tree);
            await Sql();
        }

        long previewCount = 0, sqlCount = 0;
        for (var attempt = 0; attempt < CountAttempts && (attempt == 0 || previewCount != sqlCount); attempt++)
        {
            previewCount = await PreviewAsync(http, body, tree);
            sqlCount = await Sql();
        }

        // In turns, so that both paths see the same state of the machine.
        var preview = new List<double>(_settings.TimedCalls);
        var handWritten = new List<double>(_settings.TimedCalls);
        for (var i = 0; i < _settings.TimedCalls; i++)
        {
            var started = Stopwatch.GetTimestamp();
            await PreviewAsync(http, body, tree);
            preview.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
            started = Stopwatch.GetTimestamp();
            await Sql();
            handWritten.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
        }

        var result = new TreeResult(tree, previewCount, sqlCount, preview, handWritten);
        _log.WriteLine(
            $"  {tree.Name}: preview {previewCount:N0}, SQL {sqlCount:N0}{(result.CountsMatch ? "" : " — MISMATCH")}; " +
            $"p50/p95 preview {result.PreviewP50:0.0}/{result.PreviewP95:0.0} ms, SQL {result.SqlP50:0.0}/{result.SqlP95:0.0} ms");
        return result;
    }

    private async Task<long> PreviewAsync(HttpClient http, byte[] body, SegmentTree tree)
    {
        using var content = new ByteArrayContent(body);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        using var response = await http.PostAsync(PreviewPath, content, _ct);
        var text = await response.Content.ReadAsStringAsync(_ct);
        if (response.StatusCode != HttpStatusCode.OK)
        {
            throw new InvalidOperationException(
                $"POST /{PreviewPath} for '{tree.Name}' answered {(int)response.StatusCode}: {text}\nrules: {tree.Rules.ToJsonString()}");
        }

        using var json = JsonDocument.Parse(text);
        return json.RootElement.GetProperty("count").GetInt64();
    }

    private static async Task ExecuteAsync(MySqlConnection connection, string sql)
    {
        await using var command = new MySqlCommand(sql, connection);
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
        }
    }

    private static async Task<object?> ScalarAsync(MySqlConnection connection, string sql)
    {
        await using var command = new MySqlCommand(sql, connection);
        return await command.ExecuteScalarAsync();
    }

    private static string OutputTail(AppProcess app, int lines = 40) =>
        $"--- last {lines} lines of {Web} (pid {app.Pid}) ---\n{Tail(app.Output, lines)}";

    private static string Tail(string text, int lines = 40) => string.Join('\n', text.TrimEnd().Split('\n').TakeLast(lines));

}
