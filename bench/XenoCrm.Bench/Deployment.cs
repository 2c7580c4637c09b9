using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text.Json;
using MySqlConnector;
using XenoCrm.TestServers;

namespace XenoCrm.Bench;

public sealed record BenchServers(MariaDbServer MariaDb, RabbitMqServer RabbitMq, RedisServer Redis);

/// <summary>
/// XenoCrm in its distributed mode for one phase: a fresh database, virtual host and Hangfire prefix, an API
/// key, and XenoCrm.Web, one or more XenoCrm.Workers and XenoCrm.Delivery as child processes.
/// </summary>
internal sealed class Deployment : IAsyncDisposable
{
    private const string Web = "XenoCrm.Web";
    private const string Workers = "XenoCrm.Workers";
    private const string Delivery = "XenoCrm.Delivery";
    private static readonly TimeSpan _startTimeout = TimeSpan.FromSeconds(90);
    private static readonly TimeSpan _pollInterval = TimeSpan.FromMilliseconds(50);

    private readonly Dictionary<string, string?> _environment;
    private readonly Dictionary<string, string?> _workerEnvironment;
    private readonly TextWriter _log;
    private readonly List<AppProcess> _workers = [];
    private AppProcess? _web;
    private AppProcess? _delivery;
    private HttpClient? _deliveryHttp;

    private Deployment(string crmConnectionString, Dictionary<string, string?> environment, IReadOnlyDictionary<string, string?>? workerSettings, TextWriter log)
    {
        CrmConnectionString = crmConnectionString;
        _environment = environment;
        _workerEnvironment = new Dictionary<string, string?>(environment);
        foreach (var (key, value) in workerSettings ?? new Dictionary<string, string?>())
        {
            _workerEnvironment[key] = value;
        }

        _log = log;
    }

    public string CrmConnectionString { get; }

    /// <summary>Talks to Web's API with the deployment's API key; connections are limited only by the callers' concurrency.</summary>
    public HttpClient Http { get; private set; } = null!;

    public long WebPeakRssBytes => _web?.PeakRssBytes() ?? 0;

    /// <summary>The highest peak among the running Workers processes.</summary>
    public long WorkersPeakRssBytes => _workers.Select(w => w.PeakRssBytes()).DefaultIfEmpty(0).Max();

    /// <summary>The running apps as the reports name them: Web, Workers 1…, Delivery.</summary>
    public IReadOnlyList<(string Name, AppProcess App)> Apps
    {
        get
        {
            var apps = new List<(string Name, AppProcess App)>();
            if (_web is not null)
            {
                apps.Add(("Web", _web));
            }

            apps.AddRange(_workers.Select((w, i) => ($"Workers {i + 1}", w)));
            if (_delivery is not null)
            {
                apps.Add(("Delivery", _delivery));
            }

            return apps;
        }
    }

    /// <summary>Starts Delivery, Web and one Workers process with their defaults.</summary>
    public static Task<Deployment> StartAsync(BenchServers servers, TextWriter log, CancellationToken ct) =>
        StartAsync(servers, log, workers: 1, workerSettings: null, ct);

    /// <param name="workerSettings">Extra environment for every Workers process, e.g. <c>Campaigns__ChunkSize</c>.</param>
    public static async Task<Deployment> StartAsync(
        BenchServers servers, TextWriter log, int workers, IReadOnlyDictionary<string, string?>? workerSettings, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(servers);
        ArgumentOutOfRangeException.ThrowIfLessThan(workers, 1);
        var environment = new Dictionary<string, string?>
        {
            ["ConnectionStrings__Crm"] = await servers.MariaDb.CreateDatabaseAsync(ct: ct),
            ["ConnectionStrings__RabbitMq"] = await servers.RabbitMq.CreateVirtualHostAsync(ct: ct),
            ["ConnectionStrings__Redis"] = servers.Redis.ConnectionString,
            // Deployments of one run share the Redis server; a prefix of their own keeps their Hangfire jobs apart.
            ["Hangfire__Prefix"] = $"xenocrm-bench:{Guid.NewGuid():N}:",
            // Nobody signs in during a bench; the distributed mode still needs to know who could.
            ["Auth__DevelopmentSignIn"] = "true",
            ["Auth__AllowedDomains__0"] = "bench.test",
            // The bench drives one API key far past a shop's normal rate on purpose.
            ["RateLimit__PermitsPerSecond"] = "1000000",
            ["RateLimit__Burst"] = "1000000",
            // The distributed mode encrypts its data-protection keys with a certificate it is given.
            ["DataProtection__CertificatePath"] = KeyCertificates.SharedPath,
            ["DataProtection__CertificatePassword"] = KeyCertificates.Password,
        };
        var deployment = new Deployment(environment["ConnectionStrings__Crm"]!, environment, workerSettings, log);
        try
        {
            await deployment.StartDeliveryAsync(environment["ConnectionStrings__RabbitMq"]!, ct);
            await deployment.StartWebAsync(ct);
            for (var i = 0; i < workers; i++)
            {
                await deployment.StartWorkersAsync(ct);
            }

            return deployment;
        }
        catch
        {
            await deployment.DisposeAsync();
            throw;
        }
    }

    /// <summary>Replaces every Workers process by one with <c>Ingestion__BatchSize</c> set (null: the default).</summary>
    public async Task RestartWorkersAsync(int? batchSize, CancellationToken ct)
    {
        var count = Math.Max(_workers.Count, 1);
        foreach (var worker in _workers)
        {
            await worker.DisposeAsync();
        }

        _workers.Clear();
        _workerEnvironment["Ingestion__BatchSize"] = batchSize?.ToString(CultureInfo.InvariantCulture);
        for (var i = 0; i < count; i++)
        {
            await StartWorkersAsync(ct);
        }
    }

    /// <summary>Runs one of Web's operator commands (e.g. <c>seed</c>) against the deployment's database only.</summary>
    public async Task<(int ExitCode, string StdOut, string StdErr)> RunWebCommandAsync(TimeSpan timeout, params string[] args) =>
        await AppProcess.RunToEndAsync(Web, new Dictionary<string, string?> { ["ConnectionStrings__Crm"] = CrmConnectionString }, timeout, args);

    /// <summary>Messages Delivery has accepted since it started, from <c>GET /api/v1/messages/stats</c>.</summary>
    public async Task<long> DeliveryAcceptedAsync(CancellationToken ct)
    {
        var http = _deliveryHttp ?? throw new InvalidOperationException($"{Delivery} is not running.");
        await using var stream = await http.GetStreamAsync(new Uri("api/v1/messages/stats", UriKind.Relative), ct);
        using var stats = await JsonDocument.ParseAsync(stream, cancellationToken: ct);
        return stats.RootElement.GetProperty("accepted").GetInt64();
    }

    /// <summary>
    /// Polls <c>SELECT COUNT(*)</c> until <paramref name="table"/> holds <paramref name="expected"/> rows, and returns the
    /// time since <paramref name="since"/> at which it did. Fails when the count stops moving for <paramref name="stallTimeout"/>.
    /// </summary>
    public async Task<TimeSpan> WaitForRowsAsync(string table, int expected, long since, TimeSpan stallTimeout, CancellationToken ct)
    {
        await using var connection = new MySqlConnection(CrmConnectionString);
        await connection.OpenAsync(ct);
        await using var command = new MySqlCommand($"SELECT COUNT(*) FROM {table}", connection);
        var lastCount = -1L;
        var lastProgress = Stopwatch.GetTimestamp();
        while (true)
        {
            var count = Convert.ToInt64(await command.ExecuteScalarAsync(ct), CultureInfo.InvariantCulture);
            if (count >= expected)
            {
                return Stopwatch.GetElapsedTime(since);
            }

            if (count != lastCount)
            {
                lastCount = count;
                lastProgress = Stopwatch.GetTimestamp();
            }
            else if (Stopwatch.GetElapsedTime(lastProgress) > stallTimeout)
            {
                await using var deadLetters = new MySqlCommand("SELECT COUNT(*) FROM dead_letters", connection);
                throw new TimeoutException(
                    $"{table} stayed at {count:N0} of {expected:N0} rows for {stallTimeout.TotalSeconds:0} s " +
                    $"({await deadLetters.ExecuteScalarAsync(ct)} dead letters).");
            }

            await Task.Delay(_pollInterval, ct);
        }
    }

    /// <summary>The last lines each app printed, for a failure message.</summary>
    public string OutputTails(int lines = 40)
    {
        var apps = new List<(string Name, AppProcess App)>();
        if (_web is not null)
        {
            apps.Add((Web, _web));
        }

        apps.AddRange(_workers.Select((w, i) => (_workers.Count > 1 ? $"{Workers} {i + 1}" : Workers, w)));
        if (_delivery is not null)
        {
            apps.Add((Delivery, _delivery));
        }

        return string.Join('\n', apps.Select(app => $"--- last {lines} lines of {app.Name} (pid {app.App.Pid}) ---\n" +
            string.Join('\n', app.App.Output.TrimEnd().Split('\n').TakeLast(lines))));
    }

    public async ValueTask DisposeAsync()
    {
        Http?.Dispose();
        _deliveryHttp?.Dispose();
        foreach (var worker in _workers)
        {
            await worker.DisposeAsync();
        }

        if (_web is not null)
        {
            await _web.DisposeAsync();
        }

        if (_delivery is not null)
        {
            await _delivery.DisposeAsync();
        }
    }

    private async Task StartDeliveryAsync(string amqpUri, CancellationToken ct)
    {
        var apiKey = Convert.ToHexString(RandomNumberGenerator.GetBytes(24));
        var url = $"http://127.0.0.1:{FreePort.Next()}";
        _delivery = AppProcess.Start(Delivery, new Dictionary<string, string?>
        {
            ["ConnectionStrings__RabbitMq"] = amqpUri,
            ["Delivery__ApiKey"] = apiKey,
        }, "--urls", url);
        await _delivery.WaitForHttpOkAsync($"{url}/health/live", _startTimeout);
        ct.ThrowIfCancellationRequested();
        _deliveryHttp = new HttpClient { BaseAddress = new Uri(url), Timeout = TimeSpan.FromSeconds(30) };
        _deliveryHttp.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", apiKey);
        _workerEnvironment["Delivery__BaseUrl"] = url;
        _workerEnvironment["Delivery__ApiKey"] = apiKey;
        _log.WriteLine($"  {Delivery} pid {_delivery.Pid} on {url}");
    }

    private async Task StartWebAsync(CancellationToken ct)
    {
        var (exitCode, stdout, stderr) = await AppProcess.RunToEndAsync(Web, _environment, _startTimeout, "api-keys", "create", "bench");
        if (exitCode != 0 || string.IsNullOrWhiteSpace(stdout))
        {
            throw new InvalidOperationException($"{Web} api-keys create exited with {exitCode} and printed no key.\n{stderr}");
        }

        var url = $"http://127.0.0.1:{FreePort.Next()}";
        _web = AppProcess.Start(Web, _environment, "--urls", url);
        await _web.WaitForHttpOkAsync($"{url}/health/live", _startTimeout);
        ct.ThrowIfCancellationRequested();
        Http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = 256, PooledConnectionIdleTimeout = TimeSpan.FromMinutes(5) })
        {
            BaseAddress = new Uri(url),
            Timeout = TimeSpan.FromSeconds(60),
        };
        Http.DefaultRequestHeaders.Add("X-Api-Key", stdout.Trim());
        _log.WriteLine($"  {Web} pid {_web.Pid} on {url}");
    }

    private async Task StartWorkersAsync(CancellationToken ct)
    {
        var url = $"http://127.0.0.1:{FreePort.Next()}";
        var worker = AppProcess.Start(Workers, _workerEnvironment, "--urls", url);
        _workers.Add(worker);
        await worker.WaitForHttpOkAsync($"{url}/health/live", _startTimeout);
        ct.ThrowIfCancellationRequested();
        var settings = string.Join(", ", _workerEnvironment
            .Where(e => e.Value is not null && (e.Key.StartsWith("Ingestion__", StringComparison.Ordinal) || e.Key.StartsWith("Campaigns__", StringComparison.Ordinal)))
            .Select(e => $"{e.Key}={e.Value}"));
        _log.WriteLine($"  {Workers} pid {worker.Pid}{(settings.Length > 0 ? $", {settings}" : "")}");
    }
}
