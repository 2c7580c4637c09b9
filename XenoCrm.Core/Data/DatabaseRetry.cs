using System.Data.Common;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using MySqlConnector;
using Polly;
using Polly.Retry;

namespace XenoCrm.Core.Data;

/// <summary>
/// Retries a unit of work while its failure is the database's (it is down, a deadlock, a lock timeout), never when it
/// is the work's own (a message the handler refuses): those are for the caller to isolate and dead-letter. Each retry
/// runs the whole unit again, its transactions included, which is why EF's retrying execution strategy is not used
/// (see <see cref="CrmDatabaseExtensions"/>). The delays grow exponentially with jitter, so that consumers the same
/// outage failed do not all come back in the same millisecond.
/// </summary>
public static class DatabaseRetry
{
    public static readonly TimeSpan FirstDelay = TimeSpan.FromMilliseconds(200);
    public static readonly TimeSpan MaxDelay = TimeSpan.FromSeconds(10);

    /// <summary>Retries for as long as the database fails; <paramref name="work"/> names what is retried in the log.</summary>
    public static RetryStrategyOptions Options(IServiceScopeFactory scopes, ILogger logger, string work, TimeSpan? firstDelay = null) => new()
    {
        ShouldHandle = args => args.Outcome.Exception is { } ex && !args.Context.CancellationToken.IsCancellationRequested
            ? IsDatabaseFailureAsync(ex, scopes, args.Context.CancellationToken)
            : ValueTask.FromResult(false),
        MaxRetryAttempts = int.MaxValue,
        BackoffType = DelayBackoffType.Exponential,
        UseJitter = true,
        Delay = firstDelay ?? FirstDelay,
        MaxDelay = MaxDelay,
        OnRetry = args =>
        {
            logger.LogWarning("The database failed while {Work} ({Error}); retrying in {Delay} ms", work,
                args.Outcome.Exception?.Message, (int)args.RetryDelay.TotalMilliseconds);
            return ValueTask.CompletedTask;
        },
    };

    public static ResiliencePipeline Pipeline(IServiceScopeFactory scopes, ILogger logger, string work, TimeSpan? firstDelay = null) =>
        new ResiliencePipelineBuilder().AddRetry(Options(scopes, logger, work, firstDelay)).Build();

    /// <summary>
    /// True when the failure is the database's, not the work's: <see cref="IsTransient"/>, or any error while the
    /// database does not answer a ping.
    /// </summary>
    public static async ValueTask<bool> IsDatabaseFailureAsync(Exception ex, IServiceScopeFactory scopes, CancellationToken ct)
    {
        if (IsTransient(ex))
        {
            return true;
        }
        try
        {
            await using var scope = scopes.CreateAsyncScope();
            var db = scope.ServiceProvider.GetRequiredService<CrmDbContext>();
            return !await db.Database.CanConnectAsync(ct);
        }
        catch (Exception) when (!ct.IsCancellationRequested)
        {
            return true;
        }
    }

    /// <summary>
    /// The one judgement of which database errors pass by themselves, for these retries and for Web's answer to a
    /// request that failed (503 and retry, or 500): the server cannot be reached, is shutting down or has too many
    /// connections, a deadlock, a lock or a command timed out (the driver's own <see cref="DbException.IsTransient"/>
    /// included), SQLite's file is busy or locked. An error in the SQL or the schema (a missing table, a column, a
    /// constraint) is not: it fails again however often it is tried.
    /// </summary>
    public static bool IsTransient(Exception ex)
    {
        for (var e = ex; e is not null; e = e.InnerException)
        {
            var transient = e switch
            {
                MySqlException mysql => mysql.IsTransient || mysql.ErrorCode is MySqlErrorCode.UnableToConnectToHost or MySqlErrorCode.ServerShutdown
                    or MySqlErrorCode.ConnectionCountError or MySqlErrorCode.LockDeadlock or MySqlErrorCode.LockWaitTimeout or MySqlErrorCode.CommandTimeoutExpired,
                SqliteException sqlite => sqlite.SqliteErrorCode is SQLitePCL.raw.SQLITE_BUSY or SQLitePCL.raw.SQLITE_LOCKED,
                DbException db => db.IsTransient,
                _ => e is TimeoutException,
            };
            if (transient)
            {
                return true;
            }
        }
        return false;
    }
}
