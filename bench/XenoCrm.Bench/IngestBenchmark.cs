using System.Data;
using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using MySqlConnector;
using XenoCrm.TestServers;

namespace XenoCrm.Bench;

/// <summary>
/// The <c>ingest</c> scenario: a raw <see cref="MySqlBulkCopy"/>, the batch endpoint end to end,
/// single records and the batch-size-1 baseline, each on its own database (and virtual host) of one set of
/// throwaway servers.
/// </summary>
public sealed class IngestBenchmark
{
    private const string CustomersPath = "api/v1/customers";
    private const string OrdersPath = "api/v1/orders";
    private const int CustomerLoadConcurrency = 4;
    // Deferred orders come back after Messaging:RetryDelay (5 s), so a shorter stall would misread a retry as a hang.
    private static readonly TimeSpan _stallTimeout = TimeSpan.FromSeconds(60);

    private readonly IngestSettings _settings;
    private readonly BenchData _data;
    private readonly BenchServers _servers;
    private readonly TextWriter _log;
    private readonly CancellationToken _ct;
    private int _retries;
    private long _webPeakRss;
    private long _workersPeakRss;

    private IngestBenchmark(IngestSettings settings, BenchData data, BenchServers servers, TextWriter log, CancellationToken ct)
    {
        (_settings, _data, _servers, _log, _ct) = (settings, data, servers, log, ct);
    }

    public static async Task<IngestReport> RunAsync(IngestSettings settings, TextWriter log, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(log);
        settings.Validate();
        var startedAt = DateTimeOffset.UtcNow;
        // Every server and app shares the machine's cores, so anything else running skews the rates: the report says how busy it was.
        var loadAverage = BenchMachine.LoadAverage();

        log.WriteLine($"Generating {settings.Customers:N0} customers and {settings.Orders:N0} orders (seed {settings.Seed})…");
        var data = BenchData.Generate(settings.Customers, settings.Orders, settings.Seed);

        log.WriteLine($"Starting MariaDB (buffer pool {settings.BufferPoolSize}), RabbitMQ and Redis…");
        await using var mariaDb = await MariaDbServer.StartAsync(settings.BufferPoolSize, ct);
        await using var rabbitMq = await RabbitMqServer.StartAsync(ct);
        await using var redis = await RedisServer.StartAsync(ct);
        var run = new IngestBenchmark(settings, data, new BenchServers(mariaDb, rabbitMq, redis), log, ct);

        // First, while the server is quiet: the raw limit is what the database does at its best.
        log.WriteLine("== raw MySqlBulkCopy ==");
        var raw = await run.RawBulkLoadAsync();
        var batch = await run.RunPhaseAsync("batch endpoint, end to end", run.BatchPhaseAsync, measureMemory: true);
        var single = await run.RunPhaseAsync("single records", run.SinglePhaseAsync, measureMemory: true);
        var baseline = await run.RunPhaseAsync("baseline, Ingestion__BatchSize=1", run.BaselinePhaseAsync, measureMemory: false);

        var machine = $"{Environment.ProcessorCount} cores, {RuntimeInformation.OSDescription}, " +
            $"load average {loadAverage} at start and {BenchMachine.LoadAverage()} at the end, " +
            $"MariaDB {await ServerVersionAsync(mariaDb, ct)} (buffer pool {settings.BufferPoolSize}), commit {BenchMachine.GitCommit()}";
        return new IngestReport(settings, startedAt, machine, batch, single, baseline, raw, run._webPeakRss, run._workersPeakRss, run._retries);
    }

    private async Task<T> RunPhaseAsync<T>(string name, Func<Deployment, Task<T>> phase, bool measureMemory)
    {
        _log.WriteLine($"== {name} ==");
        await using var deployment = await Deployment.StartAsync(_servers, _log, _ct);
        try
        {
            var result = await phase(deployment);
            if (measureMemory)
            {
                _webPeakRss = Math.Max(_webPeakRss, deployment.WebPeakRssBytes);
                _workersPeakRss = Math.Max(_workersPeakRss, deployment.WorkersPeakRssBytes);
            }

            return result;
        }
        catch (Exception) when (!_ct.IsCancellationRequested)
        {
            _log.WriteLine($"Phase '{name}' failed; what the apps printed last:\n{deployment.OutputTails()}");
            throw;
        }
    }

    private async Task<BatchPhase> BatchPhaseAsync(Deployment deployment)
    {
        var customersCommitted = await LoadCustomersAsync(deployment);
        var orders = _data.Orders;
        var (accepted, committed) = await SendOrdersAsync(deployment, BenchData.BatchBodies(orders, _settings.RecordsPerRequest), orders.Count, _settings.BatchConcurrency);
        _log.WriteLine($"  {orders.Count:N0} orders accepted in {accepted.Elapsed.TotalSeconds:0.00} s, committed in {committed.TotalSeconds:0.00} s");
        return new BatchPhase(_data.Customers.Count, customersCommitted, orders.Count, accepted.Elapsed, committed, await CheckAsync(deployment, orders));
    }

    private async Task<SinglePhase> SinglePhaseAsync(Deployment deployment)
    {
        await LoadCustomersAsync(deployment);
        var orders = _data.Orders.Take(_settings.SingleRequests).ToList();
        var (accepted, committed) = await SendOrdersAsync(deployment, BenchData.SingleBodies(orders), orders.Count, _settings.SingleConcurrency);
        var (p50, p99) = (accepted.Percentile(50), accepted.Percentile(99));
        _log.WriteLine($"  {orders.Count:N0} requests in {accepted.Elapsed.TotalSeconds:0.00} s (p50 {p50:0.0} ms, p99 {p99:0.0} ms), committed in {committed.TotalSeconds:0.00} s");
        return new SinglePhase(orders.Count, accepted.Elapsed, p50, p99, committed, await CheckAsync(deployment, orders));
    }

    private async Task<BaselinePhase> BaselinePhaseAsync(Deployment deployment)
    {
        await LoadCustomersAsync(deployment);
        await deployment.RestartWorkersAsync(batchSize: 1, _ct);
        var orders = _data.Orders.Take(_settings.BaselineOrders).ToList();
        var (_, committed) = await SendOrdersAsync(deployment, BenchData.BatchBodies(orders, _settings.RecordsPerRequest), orders.Count, _settings.BatchConcurrency);
        _log.WriteLine($"  {orders.Count:N0} orders committed in {committed.TotalSeconds:0.00} s");
        return new BaselinePhase(orders.Count, committed, await CheckAsync(deployment, orders));
    }

    /// <summary>Sends every customer through the batch endpoint and waits until all are committed, so that no order waits for its customer.</summary>
    private async Task<TimeSpan> LoadCustomersAsync(Deployment deployment)
    {
        var started = Stopwatch.GetTimestamp();
        var load = await RequestLoad.PostAllAsync(
            deployment.Http, CustomersPath, BenchData.BatchBodies(_data.Customers, _settings.RecordsPerRequest), CustomerLoadConcurrency, _ct);
        _retries += load.Retries;
        var committed = await deployment.WaitForRowsAsync("customers", _data.Customers.Count, started, _stallTimeout, _ct);
        _log.WriteLine($"  {_data.Customers.Count:N0} customers committed in {committed.TotalSeconds:0.00} s");
        return committed;
    }

    /// <summary>POSTs the prepared bodies, then waits until <paramref name="orders"/> rows are committed; both timed from the first POST.</summary>
    private async Task<(LoadResult Accepted, TimeSpan Committed)> SendOrdersAsync(Deployment deployment, List<byte[]> bodies, int orders, int concurrency)
    {
        var started = Stopwatch.GetTimestamp();
        var load = await RequestLoad.PostAllAsync(deployment.Http, OrdersPath, bodies, concurrency, _ct);
        _retries += load.Retries;
        return (load, await deployment.WaitForRowsAsync("orders", orders, started, _stallTimeout, _ct));
    }

    /// <summary>Counts what was stored, and compares every customer's aggregates with SUM/COUNT/MIN/MAX over its orders, in one query.</summary>
    private async Task<Consistency> CheckAsync(Deployment deployment, IReadOnlyList<BenchOrder> sent)
    {
        const string Sql = """
            SELECT
              (SELECT COUNT(*) FROM customers),
              (SELECT COUNT(*) FROM orders),
              (SELECT COUNT(*) FROM dead_letters),
              (SELECT COUNT(*) FROM customers c
                 LEFT JOIN (SELECT customer_id, SUM(amount) AS spend, COUNT(*) AS n, MIN(ordered_at) AS first_at, MAX(ordered_at) AS last_at
                            FROM orders GROUP BY customer_id) o ON o.customer_id = c.id
                 WHERE c.total_spend <> COALESCE(o.spend, 0) OR c.order_count <> COALESCE(o.n, 0)
                    OR NOT (c.first_order_at <=> o.first_at) OR NOT (c.last_order_at <=> o.last_at)),
              (SELECT COALESCE(SUM(total_spend), 0) FROM customers)
            """;
        await using var connection = new MySqlConnection(deployment.CrmConnectionString);
        await connection.OpenAsync(_ct);
        await using var command = new MySqlCommand(Sql, connection);
        await using var reader = await command.ExecuteReaderAsync(_ct);
        await reader.ReadAsync(_ct);
        var consistency = new Consistency(
            _data.Customers.Count, reader.GetInt32(0), sent.Count, reader.GetInt32(1), reader.GetInt32(2),
            reader.GetInt32(3), sent.Sum(o => o.Amount), reader.GetDecimal(4));
        _log.WriteLine($"  rows committed: {(consistency.AllCommitted ? "ok" : "MISSING")}; aggregates: {(consistency.AggregatesConsistent ? "ok" : "MISMATCH")} ({consistency})");
        return consistency;
    }

    /// <summary>
    /// The same rows bulk-loaded into a migrated database of their own, before any other load: what the database does
    /// raw. Only the orders are timed, into a fresh copy of the orders table; loading the customers first gives the
    /// orders their real customer ids and warms up the bulk copy.
    /// </summary>
    private async Task<RawBulkLoad> RawBulkLoadAsync()
    {
        var connectionString = await _servers.MariaDb.CreateDatabaseAsync(ct: _ct);
        var (exitCode, _, stderr) = await AppProcess.RunToEndAsync(
            "XenoCrm.Web", new Dictionary<string, string?> { ["ConnectionStrings__Crm"] = connectionString }, TimeSpan.FromMinutes(2), "migrate");
        if (exitCode != 0)
        {
            throw new InvalidOperationException($"XenoCrm.Web migrate exited with {exitCode}.\n{stderr}");
        }

        await using var connection = new MySqlConnection(connectionString);
        await connection.OpenAsync(_ct);
        var now = DateTime.UtcNow;
        using var customers = Table(
            _data.Customers.Select(c => new object?[] { c.ExternalId, c.Email, c.Name, c.Phone, c.City, c.Country, c.SignedUpAt, now, now, 0m, 0 }),
            ("external_id", typeof(string)), ("email", typeof(string)), ("name", typeof(string)), ("phone", typeof(string)),
            ("city", typeof(string)), ("country", typeof(string)), ("signed_up_at", typeof(DateTime)), ("created_at", typeof(DateTime)),
            ("updated_at", typeof(DateTime)), ("total_spend", typeof(decimal)), ("order_count", typeof(int)));
        await BulkCopyAsync(connection, "customers", customers, _ct);

        var customerIds = new Dictionary<string, long>(StringComparer.Ordinal);
        await using (var select = new MySqlCommand("SELECT external_id, id FROM customers", connection))
        await using (var reader = await select.ExecuteReaderAsync(_ct))
        {
            while (await reader.ReadAsync(_ct))
            {
                customerIds[reader.GetString(0)] = reader.GetInt64(1);
            }
        }

        await using (var create = new MySqlCommand("CREATE TABLE orders_raw LIKE orders", connection))
        {
            await create.ExecuteNonQueryAsync(_ct);
        }

        using var orders = Table(
            _data.Orders.Select(o => new object?[] { o.ExternalId, customerIds[o.CustomerExternalId], o.Amount, o.OrderedAt, now }),
            ("external_id", typeof(string)), ("customer_id", typeof(long)), ("amount", typeof(decimal)),
            ("ordered_at", typeof(DateTime)), ("created_at", typeof(DateTime)));
        var elapsed = await BulkCopyAsync(connection, "orders_raw", orders, _ct);
        _log.WriteLine($"  {orders.Rows.Count:N0} orders in {elapsed.TotalSeconds:0.00} s");
        return new RawBulkLoad(orders.Rows.Count, elapsed);
    }

    private static DataTable Table(IEnumerable<object?[]> rows, params (string Name, Type Type)[] columns)
    {
        var table = new DataTable { Locale = CultureInfo.InvariantCulture };
        foreach (var (name, type) in columns)
        {
            table.Columns.Add(name, type);
        }

        foreach (var row in rows)
        {
            table.Rows.Add(row);
        }

        return table;
    }

    private static async Task<TimeSpan> BulkCopyAsync(MySqlConnection connection, string destination, DataTable rows, CancellationToken ct)
    {
        var bulkCopy = new MySqlBulkCopy(connection) { DestinationTableName = destination, BulkCopyTimeout = 600 };
        for (var i = 0; i < rows.Columns.Count; i++)
        {
            bulkCopy.ColumnMappings.Add(new MySqlBulkCopyColumnMapping(i, rows.Columns[i].ColumnName));
        }

        var started = Stopwatch.GetTimestamp();
        var result = await bulkCopy.WriteToServerAsync(rows, ct);
        var elapsed = Stopwatch.GetElapsedTime(started);
        if (result.RowsInserted != rows.Rows.Count || result.Warnings.Count > 0)
        {
            throw new InvalidOperationException(
                $"MySqlBulkCopy inserted {result.RowsInserted} of {rows.Rows.Count} rows into {destination}: {string.Join("; ", result.Warnings.Select(w => w.Message))}");
        }

        return elapsed;
    }

    private static async Task<string> ServerVersionAsync(MariaDbServer mariaDb, CancellationToken ct)
    {
        await using var connection = new MySqlConnection(mariaDb.ConnectionString("mysql"));
        await connection.OpenAsync(ct);
        // ServerVersion carries MariaDB's "5.5.5-" compatibility prefix; VERSION() does not.
        await using var command = new MySqlCommand("SELECT VERSION()", connection);
        return (string)(await command.ExecuteScalarAsync(ct))!;
    }
}
