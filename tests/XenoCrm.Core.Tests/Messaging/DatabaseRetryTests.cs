using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Polly;
using XenoCrm.Core.Data;

namespace XenoCrm.Core.Tests.Messaging;

public sealed class DatabaseRetryTests : IAsyncLifetime
{
    private static readonly TimeSpan FirstDelay = TimeSpan.FromMilliseconds(10);
    private SqliteConnection _database = null!;
    private ServiceProvider _services = null!;

    public async Task InitializeAsync()
    {
        var connectionString = $"Data Source=file:retry-{Guid.NewGuid():N}?mode=memory&cache=shared";
        _database = new SqliteConnection(connectionString);
        await _database.OpenAsync();
        _services = Services(connectionString);
    }

    public async Task DisposeAsync()
    {
        await _services.DisposeAsync();
        await _database.DisposeAsync();
    }

    private static ServiceProvider Services(string connectionString) => new ServiceCollection()
        .AddDbContext<CrmDbContext, SqliteCrmDbContext>(o => o.UseSqlite(connectionString))
        .BuildServiceProvider();

    /// <summary>Runs work that fails <paramref name="failures"/> times with <paramref name="failure"/>; returns the runs and the waits.</summary>
    private static async Task<(int Runs, List<TimeSpan> Delays)> RunAsync(IServiceScopeFactory scopes, int failures, Func<Exception> failure)
    {
        var options = DatabaseRetry.Options(scopes, NullLogger.Instance, "testing", FirstDelay);
        var delays = new List<TimeSpan>();
        var log = options.OnRetry!;
        options.OnRetry = args =>
        {
            delays.Add(args.RetryDelay);
            return log(args);
        };
        var pipeline = new ResiliencePipelineBuilder().AddRetry(options).Build();
        var runs = 0;
        await pipeline.ExecuteAsync(_ =>
        {
            if (++runs <= failures)
            {
                throw failure();
            }
            return ValueTask.CompletedTask;
        }, CancellationToken.None);
        return (runs, delays);
    }

    [Fact]
    public async Task TransientDatabaseFailures_AreRetried_UntilTheWorkSucceeds_AfterJitteredWaits()
    {
        var scopes = _services.GetRequiredService<IServiceScopeFactory>();

        var first = await RunAsync(scopes, 6, () => new TimeoutException("lock wait timeout"));
        var second = await RunAsync(scopes, 6, () => new SqliteException("database is locked", 6));

        Assert.Equal(7, first.Runs);
        Assert.Equal(7, second.Runs);
        // Exponential without jitter would wait exactly 10, 20, 40, 80, 160, 320 ms both times.
        var exact = Enumerable.Range(0, 6).Select(n => FirstDelay * Math.Pow(2, n)).ToList();
        Assert.NotEqual(exact, first.Delays);
        Assert.NotEqual(first.Delays, second.Delays);
        Assert.All(first.Delays.Concat(second.Delays), d => Assert.True(d > TimeSpan.Zero && d <= DatabaseRetry.MaxDelay, $"{d}"));
    }

    [Fact]
    public async Task TheWorksOwnFailure_IsNotRetried_WhileTheDatabaseAnswers()
    {
        var scopes = _services.GetRequiredService<IServiceScopeFactory>();
        var runs = 0;
        var pipeline = DatabaseRetry.Pipeline(scopes, NullLogger.Instance, "testing", FirstDelay);

        var error = await Assert.ThrowsAsync<InvalidOperationException>(async () => await pipeline.ExecuteAsync(_ =>
        {
            runs++;
            throw new InvalidOperationException("poison refused");
        }, CancellationToken.None));

        Assert.Equal("poison refused", error.Message);
        Assert.Equal(1, runs);
    }

    [Fact]
    public async Task AnyFailure_IsTheDatabases_WhileTheDatabaseDoesNotAnswer()
    {
        // A file in a folder that does not exist, opened read-only: every connection attempt fails.
        await using var unreachable = Services($"Data Source={Path.Combine(Path.GetTempPath(), Guid.NewGuid().ToString("N"), "none.db")};Mode=ReadOnly");
        var scopes = unreachable.GetRequiredService<IServiceScopeFactory>();

        Assert.True(await DatabaseRetry.IsDatabaseFailureAsync(new InvalidOperationException("connection reset"), scopes, CancellationToken.None));
        Assert.False(await DatabaseRetry.IsDatabaseFailureAsync(new InvalidOperationException("poison refused"), _services.GetRequiredService<IServiceScopeFactory>(), CancellationToken.None));
        var (runs, _) = await RunAsync(scopes, 2, () => new InvalidOperationException("connection reset"));
        Assert.Equal(3, runs);
    }
}
