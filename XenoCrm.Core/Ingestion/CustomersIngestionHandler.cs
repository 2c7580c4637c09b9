using System.Text;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using XenoCrm.Core.Data;
using XenoCrm.Core.Messaging;
using XenoCrm.ServiceDefaults.Telemetry;
using XenoCrm.ServiceDefaults.Messaging;

namespace XenoCrm.Core.Ingestion;

/// <summary>Upserts customers by external id, else by email, as multi-row statements.</summary>
public sealed class CustomersIngestionHandler(CrmDbContext db, IOptions<IngestionOptions> options, CrmMetrics metrics, TimeProvider clock) : IMessageBatchHandler<CustomersReceived>
{
    public async Task<IReadOnlyList<Deferral<CustomersReceived>>> HandleAsync(IReadOnlyList<CustomersReceived> messages, CancellationToken ct)
    {
        // The last version of a customer in the batch wins, as it would have row by row.
        var customers = messages.SelectMany(m => m.Customers)
            .GroupBy(c => c.ExternalId ?? "email:" + c.Email)
            .Select(g => g.Last())
            .ToList();
        await db.Database.OpenConnectionAsync(ct);
        foreach (var chunk in customers.Chunk(options.Value.BatchSize))
        {
            await using var transaction = await db.Database.BeginTransactionAsync(ct);
            await UpsertAsync(chunk, ct);
            await transaction.CommitAsync(ct);
            // Each record of the chunk inserted a customer or updated one.
            metrics.IngestionCommitted(Topics.Customers, chunk.Length);
        }
        return [];
    }

    private async Task UpsertAsync(CustomerRecord[] customers, CancellationToken ct)
    {
        await using var command = db.CreateRawCommand();
        var rows = new SqlRows(command, db.Provider);
        var now = clock.GetUtcNow().UtcDateTime;
        var sql = new StringBuilder("INSERT INTO customers (external_id, email, name, phone, city, country, signed_up_at, created_at, updated_at, total_spend, order_count) VALUES ");
        for (var i = 0; i < customers.Length; i++)
        {
            var c = customers[i];
            sql.Append(i == 0 ? "" : ", ");
            rows.AppendRow(sql, c.ExternalId, c.Email, c.Name, c.Phone, c.City, c.Country, c.SignedUpAt, now, now, 0m, 0);
        }
        sql.Append(db.Provider == CrmDatabaseProvider.MySql ? MySqlUpsert : SqliteUpsert);
        command.CommandText = sql.ToString();
        await command.ExecuteNonQueryAsync(ct);
    }

    // A record without an external id matches by email, and then gives its row no external id
    // it did not have; a record with one links an email-only row to it.
    private const string MySqlUpsert = """
         ON DUPLICATE KEY UPDATE
          external_id = COALESCE(VALUES(external_id), external_id),
          email = VALUES(email), name = VALUES(name), phone = VALUES(phone), city = VALUES(city),
          country = VALUES(country), signed_up_at = VALUES(signed_up_at), updated_at = VALUES(updated_at)
        """;

    private const string SqliteUpsert = """
         ON CONFLICT(external_id) DO UPDATE SET
          email = excluded.email, name = excluded.name, phone = excluded.phone, city = excluded.city,
          country = excluded.country, signed_up_at = excluded.signed_up_at, updated_at = excluded.updated_at
         ON CONFLICT(email) DO UPDATE SET
          external_id = COALESCE(excluded.external_id, external_id),
          name = excluded.name, phone = excluded.phone, city = excluded.city,
          country = excluded.country, signed_up_at = excluded.signed_up_at, updated_at = excluded.updated_at
        """;
}
