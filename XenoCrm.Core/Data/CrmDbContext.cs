using Microsoft.AspNetCore.DataProtection.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore;
using XenoCrm.Core.ApiKeys;
using XenoCrm.Core.Audit;
using XenoCrm.Core.Campaigns;
using XenoCrm.Core.Customers;
using XenoCrm.Core.Idempotency;
using XenoCrm.Core.Messaging;
using XenoCrm.Core.Orders;
using XenoCrm.Core.Segments;
using XenoCrm.Core.Sessions;

namespace XenoCrm.Core.Data;

/// <summary>
/// The CRM's one context. Each provider has its own migrations, through a derived context:
/// <code>
/// dotnet ef migrations add NAME -p XenoCrm.Core -s XenoCrm.Core -c MySqlCrmDbContext -o Data/Migrations/MySql
/// dotnet ef migrations add NAME -p XenoCrm.Core -s XenoCrm.Core -c SqliteCrmDbContext -o Data/Migrations/Sqlite
/// </code>
/// It also holds the data-protection keys (<see cref="IDataProtectionKeyContext"/>), so that every Web instance signs
/// and reads cookies with the same keys.
/// </summary>
public abstract class CrmDbContext(DbContextOptions options) : DbContext(options), IDataProtectionKeyContext
{
    public DbSet<Customer> Customers => Set<Customer>();
    public DbSet<Order> Orders => Set<Order>();
    public DbSet<ApiKey> ApiKeys => Set<ApiKey>();
    public DbSet<DeadLetter> DeadLetters => Set<DeadLetter>();
    public DbSet<DataProtectionKey> DataProtectionKeys => Set<DataProtectionKey>();
    public DbSet<Segment> Segments => Set<Segment>();
    public DbSet<Campaign> Campaigns => Set<Campaign>();
    public DbSet<CommunicationLogEntry> CommunicationLog => Set<CommunicationLogEntry>();
    public DbSet<EarlierAttempt> EarlierAttempts => Set<EarlierAttempt>();
    public DbSet<Session> Sessions => Set<Session>();
    public DbSet<AuditLogEntry> AuditLog => Set<AuditLogEntry>();
    public DbSet<IdempotencyRecord> IdempotencyKeys => Set<IdempotencyRecord>();

    public abstract CrmDatabaseProvider Provider { get; }

    protected override void OnModelCreating(ModelBuilder modelBuilder)
    {
        modelBuilder.ApplyConfigurationsFromAssembly(typeof(CrmDbContext).Assembly);
        // Hand-written SQL (ingestion upserts, bulk loads) reads better against snake_case columns.
        foreach (var property in modelBuilder.Model.GetEntityTypes().SelectMany(e => e.GetProperties()))
        {
            property.SetColumnName(SnakeCase(property.Name));
        }
    }

    protected override void ConfigureConventions(ModelConfigurationBuilder configurationBuilder)
    {
        // Every timestamp is UTC; the databases keep no kind, so it is restored on read.
        configurationBuilder.Properties<DateTime>().HaveConversion<UtcDateTimeConverter>();
        configurationBuilder.Properties<DateTime?>().HaveConversion<UtcDateTimeConverter>();
    }

    private sealed class UtcDateTimeConverter() : Microsoft.EntityFrameworkCore.Storage.ValueConversion.ValueConverter<DateTime, DateTime>(
        v => v.Kind == DateTimeKind.Utc ? v : v.ToUniversalTime(),
        v => DateTime.SpecifyKind(v, DateTimeKind.Utc));

    private static string SnakeCase(string name) =>
        string.Concat(name.Select((c, i) => i > 0 && char.IsUpper(c) ? "_" + char.ToLowerInvariant(c) : char.ToLowerInvariant(c).ToString()));
}

public enum CrmDatabaseProvider
{
    MySql,
    Sqlite,
}

public sealed class MySqlCrmDbContext(DbContextOptions<MySqlCrmDbContext> options) : CrmDbContext(options)
{
    public override CrmDatabaseProvider Provider => CrmDatabaseProvider.MySql;
}

public sealed class SqliteCrmDbContext(DbContextOptions<SqliteCrmDbContext> options) : CrmDbContext(options)
{
    public override CrmDatabaseProvider Provider => CrmDatabaseProvider.Sqlite;

    protected override void ConfigureConventions(ModelConfigurationBuilder configurationBuilder)
    {
        base.ConfigureConventions(configurationBuilder);
        // SQLite has no decimal type and EF cannot compare or sum decimals stored as text;
        // REAL keeps amounts comparable in the embedded try-out mode.
        configurationBuilder.Properties<decimal>().HaveConversion<double>();
    }
}
