using System.Diagnostics;
using System.Globalization;
using MySqlConnector;
using XenoCrm.TestServers;

namespace XenoCrm.Bench;

public sealed record BenchServers(MariaDbServer MariaDb, RabbitMqServer RabbitMq, RedisServer Redis);

/// <summary>
/// XenoCrm in its distributed mode for one phase: a fresh database and virtual host, an API
/// key, and XenoCrm.Web and XenoCrm.Workers as child processes.
/// </summary>
internal sealed class Deployment : IAsyncDisposable
{
    private const string Web = "XenoCrm.Web";
    private const string Workers = "XenoCrm.Workers";
    private static readonly TimeSpan _startTimeout = TimeSpan.FromSeconds(90);
    private static readonly TimeSpan _pollInterval = TimeSpan.FromMilliseconds(50);

    private readonly Dictionary<string, string?> _environment;
    private readonly TextWriter _log;
    private AppProcess? _web;
    private AppProcess? _workers;

    private Deployment(string crmConnectionString, Dictionary<string, string?> environment, TextWriter log)
    {
        CrmConnectionString = crmConnectionString;
        _environment = environment;
        _log = log;
    }

    public string CrmConnectionString { get; }

    /// <summary>Talks to Web's API with the deployment's API key; connections are limited only by the callers' concurrency.</summary>
    public HttpClient Http { get; private set; } = null!;

    public long WebPeakRssBytes => _web?.PeakRssBytes() ?? 0;

    public long WorkersPeakRssBytes => _workers?.PeakRssBytes() ?? 0;

    public static async Task<Deployment> StartAsync(BenchServers servers, TextWriter log, CancellationToken ct)
    {
        var environment = new Dictionary<string, string?>
        {
            ["ConnectionStrings__Crm"] = await servers.MariaDb.CreateDatabaseAsync(ct: ct),
            ["ConnectionStrings__RabbitMq"] = await servers.RabbitMq.CreateVirtualHostAsync(ct: ct),
            ["ConnectionStrings__Redis"] = servers.Redis.ConnectionString,
            // Nobody signs in during a bench; the distributed mode still needs to know who could.
            ["Auth__DevelopmentSignIn"] = "true",
            ["Auth__AllowedDomains__0"] = "bench.test",
            // The bench drives one API key far past a shop's normal rate on purpose.
            ["RateLimit__PermitsPerSecond"] = "1000000",
            ["RateLimit__Burst"] = "1000000",
        };
        var deployment = new Deployment(environment["ConnectionStrings__Crm"]!, environment, log);
        try
        {
            await deployment.StartWebAsync(ct);
            await deployment.StartWorkersAsync(batchSize: null, ct);
            return deployment;
        }
        catch
        {
            await deployment.DisposeAsync();
            throw;
        }
    }

    /// <summary>Replaces the Workers process by one with <c>Ingestion__BatchSize</c> set (null: the default).</summary>
    public async Task RestartWorkersAsync(int? batchSize, CancellationToken ct)
    {
        if (_workers is not null)
        {
            await _workers.DisposeAsync();
            _workers = null;
        }

        await StartWorkersAsync(batchSize, ct);
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
        return string.Join('\n', new[] { (Name: Web, App: _web), (Name: Workers, App: _workers) }
            .Where(app => app.App is not null)
            .Select(app => $"--- last {lines} lines of {app.Name} (pid {app.App!.Pid}) ---\n" +
                string.Join('\n', app.App.Output.TrimEnd().Split('\n').TakeLast(lines))));
    }

    public async ValueTask DisposeAsync()
    {
        Http?.Dispose();
        if (_workers is not null)
        {
            await _workers.DisposeAsync();
        }

        if (_web is not null)
        {
            await _web.DisposeAsync();
        }
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

    private async Task StartWorkersAsync(int? batchSize, CancellationToken ct)
    {
        var environment = new Dictionary<string, string?>(_environment)
        {
            ["Ingestion__BatchSize"] = batchSize?.ToString(CultureInfo.InvariantCulture),
        };
        var url = $"http://127.0.0.1:{FreePort.Next()}";
        _workers = AppProcess.Start(Workers, environment, "--urls", url);
        await _workers.WaitForHttpOkAsync($"{url}/health/live", _startTimeout);
        ct.ThrowIfCancellationRequested();
        _log.WriteLine($"  {Workers} pid {_workers.Pid}{(batchSize is { } size ? $", Ingestion__BatchSize={size}" : "")}");
    }
}
