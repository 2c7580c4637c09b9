using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Design;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using XenoCrm.ServiceDefaults.Health;
using XenoCrm.Core.Audit;
using XenoCrm.Core.Segments;
using XenoCrm.ServiceDefaults;

namespace XenoCrm.Core.Data;

public static class CrmDatabaseExtensions
{
    public const string ConnectionName = "Crm";
    public const string SqliteFile = "xenocrm.db";

    /// <summary>True when no MySQL connection string is configured: the embedded mode's SQLite file.</summary>
    public static bool UsesSqlite(this IConfiguration configuration) =>
        string.IsNullOrWhiteSpace(configuration.GetConnectionString(ConnectionName));

    /// <summary>MySQL/MariaDB when <c>ConnectionStrings:Crm</c> is set, otherwise a SQLite file (embedded mode).</summary>
    public static IHostApplicationBuilder AddCrmDatabase(this IHostApplicationBuilder builder)
    {
        var connectionString = builder.Configuration.GetConnectionString(ConnectionName);
        if (builder.Configuration.UsesSqlite())
        {
            builder.Services.AddDbContextPool<CrmDbContext, SqliteCrmDbContext>((services, o) =>
            {
                // Built once, before the pool's first context opens the file: SQLite would otherwise create it 0644.
                PrepareSqliteFiles(services.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(CrmDatabaseExtensions)));
                UseSqlite(o, $"Data Source={SqliteFile}");
            });
        }
        else
        {
            builder.Services.AddDbContextPool<CrmDbContext, MySqlCrmDbContext>(o => UseMySql(o, connectionString!));
        }
        builder.Services.TryAddSingleton(TimeProvider.System);
        builder.AddValidatedOptions<SegmentOptions>(SegmentOptions.Section);
        builder.Services.AddScoped<AudienceQuery>();
        builder.Services.AddScoped<SegmentCommands>();
        builder.Services.TryAddSingleton<AuditTrail>();
        builder.Services.AddReadinessCheck<DatabaseHealthCheck>("database");
        return builder;
    }

    /// <summary>
    /// The database holds the customers, their messages and the data-protection keys: readable by the process's user
    /// only (0600). SQLite gives the journal, WAL and shared-memory files it creates the database file's mode, so
    /// creating the database file 0600 covers them; those an earlier release left more open are narrowed too.
    /// </summary>
    private static void PrepareSqliteFiles(ILogger logger)
    {
        OwnerOnlyFiles.Prepare(SqliteFile, logger);
        foreach (var suffix in (string[])["-wal", "-shm", "-journal"])
        {
            OwnerOnlyFiles.Tighten(SqliteFile + suffix, logger);
        }
    }

    // No EnableRetryOnFailure (it was EnableRetryOnFailure(0), a retrying strategy that never retried). EF's retrying
    // strategy refuses transactions the code begins itself unless every unit of work runs inside
    // Database.CreateExecutionStrategy().ExecuteAsync, and it can only replay one SaveChanges or one transaction, not
    // the unit around it. The writes that matter begin their own transactions (ingestion, the campaign jobs), and what
    // retries them is one level up, where the whole unit of work is known: the consumers' DatabaseRetry (Polly) for
    // ingestion and receipts, Hangfire's job retries for the campaign jobs, the user's next request for a page. The
    // classification of what is transient lives in DatabaseRetry.IsDatabaseFailureAsync, which reads the driver's own
    // DbException.IsTransient, so nothing of Pomelo's strategy is lost.
    internal static DbContextOptionsBuilder UseMySql(DbContextOptionsBuilder options, string connectionString) =>
        options.UseMySql(connectionString, MySqlServer);

    internal static DbContextOptionsBuilder UseSqlite(DbContextOptionsBuilder options, string connectionString) =>
        options.UseSqlite(connectionString);

    // MariaDB 10.11 and MySQL 8 both accept what Pomelo generates for this version; a fixed
    // version (rather than AutoDetect) lets processes start while the database is still down.
    internal static readonly ServerVersion MySqlServer = new MySqlServerVersion(new Version(8, 0, 36));

    public static async Task MigrateCrmDatabaseAsync(this IServiceProvider services, CancellationToken ct = default)
    {
        // Hosts migrate before they start, and starting is where options are validated: validate first, so that a bad
        // configuration stops the process (naming the setting) before it touches, or creates, a database.
        services.GetService<IStartupValidator>()?.Validate();
        await using var scope = services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<CrmDbContext>();
        var logger = scope.ServiceProvider.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(CrmDatabaseExtensions));
        var pending = (await db.Database.GetPendingMigrationsAsync(ct)).ToList();
        if (pending.Count > 0)
        {
            logger.LogInformation("Applying {Count} migration(s) to the {Provider} database: {Migrations}", pending.Count, db.Provider, string.Join(", ", pending));
            await db.Database.MigrateAsync(ct);
        }
    }
}

// Design-time factories for `dotnet ef`: the connection strings are never used to connect.
internal sealed class MySqlDesignTimeFactory : IDesignTimeDbContextFactory<MySqlCrmDbContext>
{
    public MySqlCrmDbContext CreateDbContext(string[] args) => new(
        (DbContextOptions<MySqlCrmDbContext>)CrmDatabaseExtensions.UseMySql(new DbContextOptionsBuilder<MySqlCrmDbContext>(), "Server=localhost;Database=xenocrm").Options);
}

internal sealed class SqliteDesignTimeFactory : IDesignTimeDbContextFactory<SqliteCrmDbContext>
{
    public SqliteCrmDbContext CreateDbContext(string[] args) => new(
        (DbContextOptions<SqliteCrmDbContext>)CrmDatabaseExtensions.UseSqlite(new DbContextOptionsBuilder<SqliteCrmDbContext>(), "Data Source=xenocrm.db").Options);
}
