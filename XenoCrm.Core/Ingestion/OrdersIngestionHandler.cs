using System.Text;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using MySqlConnector;
using Polly;
using Polly.Retry;
using XenoCrm.Core.Data;
using XenoCrm.Core.Messaging;
using XenoCrm.ServiceDefaults.Telemetry;
using XenoCrm.ServiceDefaults.Messaging;

namespace XenoCrm.Core.Ingestion;

/// <summary>
/// Inserts each order once (by external id) and adds the new orders to their customers'
/// aggregates in the same transaction. Only orders this transaction inserted change an
/// aggregate, so a re-sent order is never counted twice. Orders whose customer is not stored
/// yet are handed back as deferrals.
/// </summary>
public sealed class OrdersIngestionHandler(CrmDbContext db, IOptions<IngestionOptions> options, CrmMetrics metrics, TimeProvider clock) : IMessageBatchHandler<OrdersReceived>
{
    // Two workers inserting the same order race on its unique key; the loser stores its chunk again (its transaction
    // rolled back), and that retry sees the other's order and skips it. A few jittered milliseconds apart, so that two
    // losers of the same race do not meet again. Any other failure is for the consumer's database retry to judge.
    private static readonly ResiliencePipeline DuplicateKeyRetry = new ResiliencePipelineBuilder()
        .AddRetry(new RetryStrategyOptions
        {
            ShouldHandle = new PredicateBuilder().Handle<MySqlException>(ex => ex.ErrorCode == MySqlErrorCode.DuplicateKeyEntry),
            MaxRetryAttempts = 4,
            BackoffType = DelayBackoffType.Exponential,
            UseJitter = true,
            Delay = TimeSpan.FromMilliseconds(5),
        })
        .Build();

    private sealed record Item(int MessageIndex, OrderRecord Order);

    private sealed record CustomerKeys(long Id, string? ExternalId, string Email);

    public async Task<IReadOnlyList<Deferral<OrdersReceived>>> HandleAsync(IReadOnlyList<OrdersReceived> messages, CancellationToken ct)
    {
        var items = messages
            .SelectMany((m, index) => m.Orders.Select(o => new Item(index, o)))
            .DistinctBy(i => i.Order.ExternalId)
            .ToList();
        var missing = new List<Item>();
        await db.Database.OpenConnectionAsync(ct);
        foreach (var chunk in items.Chunk(options.Value.BatchSize))
        {
            missing.AddRange(await DuplicateKeyRetry.ExecuteAsync(async token => await StoreAsync(chunk, token), ct));
        }
        return missing
            .GroupBy(i => i.MessageIndex)
            .Select(g => new Deferral<OrdersReceived>(
                g.Key,
                messages[g.Key] with { Orders = g.Select(i => i.Order).ToList() },
                $"Customer not found for order(s) {string.Join(", ", g.Take(5).Select(i => $"'{i.Order.ExternalId}' ({CustomerReference(i.Order)})"))}{(g.Count() > 5 ? $" and {g.Count() - 5} more" : "")}"))
            .ToList();
    }

    private static string CustomerReference(OrderRecord order) =>
        order.CustomerExternalId is not null ? $"customerExternalId '{order.CustomerExternalId}'" : $"customerEmail '{order.CustomerEmail}'";

    /// <summary>Stores what it can of the chunk in one transaction and returns the orders whose customer is missing.</summary>
    private async Task<List<Item>> StoreAsync(Item[] chunk, CancellationToken ct)
    {
        await using var transaction = await db.Database.BeginTransactionAsync(ct);

        var stored = await ExistingOrdersAsync(chunk, ct);
        var fresh = chunk.Where(i => !stored.Contains(i.Order.ExternalId)).ToList();
        var missing = new List<Item>();
        var resolved = new List<(OrderRecord Order, long CustomerId)>();
        if (fresh.Count > 0)
        {
            var customers = await CustomersAsync(fresh, ct);
            var byExternalId = customers.Where(c => c.ExternalId is not null).ToDictionary(c => c.ExternalId!, c => c.Id);
            var byEmail = customers.ToDictionary(c => c.Email, c => c.Id, StringComparer.OrdinalIgnoreCase);
            foreach (var item in fresh)
            {
                var order = item.Order;
                long customerId;
                var found = order.CustomerExternalId is not null
                    ? byExternalId.TryGetValue(order.CustomerExternalId, out customerId)
                    : byEmail.TryGetValue(order.CustomerEmail!, out customerId);
                if (found)
                {
                    resolved.Add((order, customerId));
                }
                else
                {
                    missing.Add(item);
                }
            }
        }
        if (resolved.Count > 0)
        {
            // Aggregates first: the update locks the customers in id order before the inserts'
            // foreign-key checks touch them, so concurrent batches queue instead of deadlocking.
            await AddToAggregatesAsync(resolved, ct);
            await InsertOrdersAsync(resolved, ct);
        }
        await transaction.CommitAsync(ct);
        // Only the orders this transaction inserted: one stored before, or deferred, is not a row committed now.
        metrics.IngestionCommitted(Topics.Orders, resolved.Count);
        return missing;
    }

    private async Task<HashSet<string>> ExistingOrdersAsync(Item[] chunk, CancellationToken ct)
    {
        await using var command = db.CreateRawCommand();
        var rows = new SqlRows(command, db.Provider);
        command.CommandText = $"SELECT external_id FROM orders WHERE external_id IN ({string.Join(", ", chunk.Select(i => rows.Add(i.Order.ExternalId)))})";
        var existing = new HashSet<string>(StringComparer.Ordinal);
        await using var reader = await command.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
        {
            existing.Add(reader.GetString(0));
        }
        return existing;
    }

    private async Task<List<CustomerKeys>> CustomersAsync(List<Item> items, CancellationToken ct)
    {
        await using var command = db.CreateRawCommand();
        var rows = new SqlRows(command, db.Provider);
        var externalIds = items.Select(i => i.Order.CustomerExternalId).OfType<string>().Distinct().Select(rows.Add).ToList();
        var emails = items.Where(i => i.Order.CustomerExternalId is null).Select(i => i.Order.CustomerEmail!).Distinct().Select(rows.Add).ToList();
        var conditions = new List<string>();
        if (externalIds.Count > 0)
        {
            conditions.Add($"external_id IN ({string.Join(", ", externalIds)})");
        }
        if (emails.Count > 0)
        {
            conditions.Add($"email IN ({string.Join(", ", emails)})");
        }
        command.CommandText = $"SELECT id, external_id, email FROM customers WHERE {string.Join(" OR ", conditions)}";
        var customers = new List<CustomerKeys>();
        await using var reader = await command.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
        {
            customers.Add(new CustomerKeys(reader.GetInt64(0), reader.IsDBNull(1) ? null : reader.GetString(1), reader.GetString(2)));
        }
        return customers;
    }

    private async Task InsertOrdersAsync(List<(OrderRecord Order, long CustomerId)> orders, CancellationToken ct)
    {
        await using var command = db.CreateRawCommand();
        var rows = new SqlRows(command, db.Provider);
        var now = clock.GetUtcNow().UtcDateTime;
        var sql = new StringBuilder("INSERT INTO orders (external_id, customer_id, amount, ordered_at, created_at) VALUES ");
        for (var i = 0; i < orders.Count; i++)
        {
            var (order, customerId) = orders[i];
            sql.Append(i == 0 ? "" : ", ");
            rows.AppendRow(sql, order.ExternalId, customerId, order.Amount, order.OrderedAt, now);
        }
        command.CommandText = sql.ToString();
        await command.ExecuteNonQueryAsync(ct);
    }

    /// <summary>
    /// One statement for the whole chunk: the per-customer sums of the new orders joined onto
    /// customers. Rows are listed in id order so concurrent workers lock customers in the same order.
    /// </summary>
    private async Task AddToAggregatesAsync(List<(OrderRecord Order, long CustomerId)> orders, CancellationToken ct)
    {
        var deltas = orders
            .GroupBy(o => o.CustomerId)
            .OrderBy(g => g.Key)
            .Select(g => (Id: g.Key, Spend: g.Sum(o => o.Order.Amount), Count: g.Count(), First: g.Min(o => o.Order.OrderedAt), Last: g.Max(o => o.Order.OrderedAt)))
            .ToList();
        await using var command = db.CreateRawCommand();
        var rows = new SqlRows(command, db.Provider);
        var sql = new StringBuilder();
        if (db.Provider == CrmDatabaseProvider.MySql)
        {
            sql.Append("UPDATE customers c JOIN (");
            for (var i = 0; i < deltas.Count; i++)
            {
                var d = deltas[i];
                sql.Append(i == 0
                    ? $"SELECT {rows.Add(d.Id)} AS id, CAST({rows.Add(d.Spend)} AS DECIMAL(18,2)) AS spend, {rows.Add(d.Count)} AS n, CAST({rows.Add(d.First)} AS DATETIME(6)) AS first_at, CAST({rows.Add(d.Last)} AS DATETIME(6)) AS last_at"
                    : $" UNION ALL SELECT {rows.Add(d.Id)}, {rows.Add(d.Spend)}, {rows.Add(d.Count)}, {rows.Add(d.First)}, {rows.Add(d.Last)}");
            }
            sql.Append(") d ON d.id = c.id SET ").Append(AggregateAssignments("c."));
        }
        else
        {
            sql.Append("WITH d(id, spend, n, first_at, last_at) AS (VALUES ");
            for (var i = 0; i < deltas.Count; i++)
            {
                var d = deltas[i];
                sql.Append(i == 0 ? "" : ", ");
                rows.AppendRow(sql, d.Id, d.Spend, d.Count, d.First, d.Last);
            }
            sql.Append(") UPDATE customers SET ").Append(AggregateAssignments("")).Append(" FROM d WHERE customers.id = d.id");
        }
        // A second statement, because MySQL does not promise in which order a multi-table
        // UPDATE assigns: the average must read the sums already updated.
        sql.Append("; UPDATE customers SET avg_order_value = ROUND(total_spend / order_count, 2) WHERE id IN (")
            .AppendJoin(", ", deltas.Select(d => rows.Add(d.Id)))
            .Append(')');
        command.CommandText = sql.ToString();
        await command.ExecuteNonQueryAsync(ct);
    }

    private static string AggregateAssignments(string c) => $"""
        {c}total_spend = {c}total_spend + d.spend,
        {c}order_count = {c}order_count + d.n,
        {c}first_order_at = CASE WHEN {c}first_order_at IS NULL OR d.first_at < {c}first_order_at THEN d.first_at ELSE {c}first_order_at END,
        {c}last_order_at = CASE WHEN {c}last_order_at IS NULL OR d.last_at > {c}last_order_at THEN d.last_at ELSE {c}last_order_at END
        """;
}
