using System.Data;
using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Threading.Channels;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata;
using MySqlConnector;
using XenoCrm.Core.Customers;
using XenoCrm.Core.Data;
using XenoCrm.Core.Orders;

namespace XenoCrm.Web.Seeding;

/// <summary>Where a load stands: rows stored so far and since when.</summary>
public readonly record struct DemoDataProgress(long Customers, long Orders, TimeSpan Elapsed)
{
    public double RowsPerSecond => Elapsed.TotalSeconds > 0 ? (Customers + Orders) / Elapsed.TotalSeconds : 0;
}

/// <summary>
/// Bulk-loads <see cref="DemoData"/>: <c>LOAD DATA LOCAL INFILE</c> through <see cref="MySqlBulkCopy"/> on
/// MySQL/MariaDB, multi-row INSERTs in one transaction per chunk on SQLite. Generating the next chunk
/// overlaps with storing the current one, and at most two chunks are in memory.
/// </summary>
public static class DemoDataLoader
{
    private const int SqliteRowsPerInsert = 50;

    /// <summary>The ids after the largest in use, so that appended demo data collides with nothing.</summary>
    public static async Task<(long FirstCustomerId, long FirstOrderId)> NextIdsAsync(CrmDbContext db, CancellationToken ct)
    {
        var customer = await db.Customers.MaxAsync(c => (long?)c.Id, ct) ?? 0;
        var order = await db.Orders.MaxAsync(o => (long?)o.Id, ct) ?? 0;
        return (customer + 1, order + 1);
    }

    public static async Task<DemoDataProgress> LoadAsync(
        CrmDbContext db, IEnumerable<DemoDataChunk> chunks, Action<DemoDataProgress>? progress, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(db);
        ArgumentNullException.ThrowIfNull(chunks);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var channel = Channel.CreateBounded<DemoDataChunk>(1);
        var producer = Task.Run(async () =>
        {
            try
            {
                foreach (var chunk in chunks)
                {
                    await channel.Writer.WriteAsync(chunk, stop.Token);
                }
                channel.Writer.Complete();
            }
            catch (Exception ex)
            {
                channel.Writer.Complete(ex);
            }
        }, stop.Token);

        var tables = new Tables(new Table<Customer>(db), new Table<Order>(db));
        var watch = Stopwatch.StartNew();
        long customers = 0, orders = 0;
        await using var mySql = db.Provider == CrmDatabaseProvider.MySql ? await OpenBulkConnectionAsync(db, ct) : null;
        try
        {
            await foreach (var chunk in channel.Reader.ReadAllAsync(ct))
            {
                await (mySql is not null ? MySqlStoreAsync(mySql, chunk, tables, ct) : SqliteStoreAsync(db, chunk, tables, ct));
                customers += chunk.Customers.Count;
                orders += chunk.Orders.Count;
                progress?.Invoke(new DemoDataProgress(customers, orders, watch.Elapsed));
            }
        }
        finally
        {
            // A failed store must not leave the generator waiting for room in the channel.
            await stop.CancelAsync();
            await producer;
        }
        return new DemoDataProgress(customers, orders, watch.Elapsed);
    }

    private static async Task<MySqlConnection> OpenBulkConnectionAsync(CrmDbContext db, CancellationToken ct)
    {
        // MySqlBulkCopy streams the rows with LOAD DATA LOCAL INFILE, which the client must allow.
        var builder = new MySqlConnectionStringBuilder(db.Database.GetConnectionString() ?? "") { AllowLoadLocalInfile = true };
        var connection = new MySqlConnection(builder.ConnectionString);
        try
        {
            await connection.OpenAsync(ct);
            // Each chunk's customers are stored before its orders, so the foreign key holds without being checked row by row.
            await using var command = new MySqlCommand("SET SESSION foreign_key_checks = 0", connection);
            await command.ExecuteNonQueryAsync(ct);
            return connection;
        }
        catch
        {
            await connection.DisposeAsync();
            throw;
        }
    }

    private static async Task MySqlStoreAsync(MySqlConnection connection, DemoDataChunk chunk, Tables tables, CancellationToken ct)
    {
        await BulkCopyAsync(connection, tables.Customers, chunk.Customers, ct);
        await BulkCopyAsync(connection, tables.Orders, chunk.Orders, ct);
    }

    private static async Task BulkCopyAsync<T>(MySqlConnection connection, Table<T> table, IReadOnlyList<T> rows, CancellationToken ct) where T : class
    {
        var bulkCopy = new MySqlBulkCopy(connection) { DestinationTableName = table.Name, BulkCopyTimeout = 0 };
        var data = new DataTable { Locale = CultureInfo.InvariantCulture };
        for (var i = 0; i < table.Columns.Count; i++)
        {
            bulkCopy.ColumnMappings.Add(new MySqlBulkCopyColumnMapping(i, table.Columns[i].Name));
            data.Columns.Add(table.Columns[i].Name, table.Columns[i].Type);
        }
        foreach (var row in rows)
        {
            data.Rows.Add(table.Values(row));
        }
        var result = await bulkCopy.WriteToServerAsync(data, ct);
        // LOAD DATA LOCAL skips duplicate keys with a warning instead of failing: a short count is an error here.
        if (result.RowsInserted != rows.Count)
        {
            throw new InvalidOperationException(
                $"Only {result.RowsInserted} of {rows.Count} rows went into {table.Name}: " +
                string.Join("; ", result.Warnings.Take(5).Select(w => w.Message)));
        }
    }

    /// <summary>
    /// The mapped columns of <typeparamref name="T"/>'s table, read from the EF model, so that a column
    /// added to the entity (and its migration) is loaded too.
    /// </summary>
    private sealed class Table<T>(CrmDbContext db) where T : class
    {
        private readonly IProperty[] _properties = db.Model.FindEntityType(typeof(T))!.GetProperties().ToArray();

        public string Name { get; } = db.Model.FindEntityType(typeof(T))!.GetTableName()!;

        public IReadOnlyList<(string Name, Type Type)> Columns => field ??= _properties
            .Select(p => (p.GetColumnName(), Nullable.GetUnderlyingType(p.ClrType) ?? p.ClrType))
            .ToArray();

        /// <summary>The row's column values, null as <see cref="DBNull"/> (SQLite's REAL amounts are <see cref="SqlRows"/>' concern).</summary>
        public object[] Values(T row) =>
            _properties.Select(p => p.GetGetter().GetClrValue(row) ?? DBNull.Value).ToArray();
    }

    private sealed record Tables(Table<Customer> Customers, Table<Order> Orders);

    private static async Task SqliteStoreAsync(CrmDbContext db, DemoDataChunk chunk, Tables tables, CancellationToken ct)
    {
        await using var transaction = await db.Database.BeginTransactionAsync(ct);
        await SqliteInsertAsync(db, tables.Customers, chunk.Customers, ct);
        await SqliteInsertAsync(db, tables.Orders, chunk.Orders, ct);
        await transaction.CommitAsync(ct);
    }

    private static async Task SqliteInsertAsync<T>(CrmDbContext db, Table<T> table, IReadOnlyList<T> rows, CancellationToken ct) where T : class
    {
        foreach (var batch in rows.Chunk(SqliteRowsPerInsert))
        {
            await using var command = db.CreateRawCommand();
            var values = new SqlRows(command, CrmDatabaseProvider.Sqlite);
            var sql = new StringBuilder($"INSERT INTO {table.Name} ({string.Join(", ", table.Columns.Select(c => c.Name))}) VALUES ");
            for (var r = 0; r < batch.Length; r++)
            {
                sql.Append(r == 0 ? "" : ", ");
                values.AppendRow(sql, table.Values(batch[r]));
            }
            command.CommandText = sql.ToString();
            await command.ExecuteNonQueryAsync(ct);
        }
    }
}
