using System.Linq.Expressions;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using XenoCrm.Core.Customers;
using XenoCrm.Core.Data;

namespace XenoCrm.Core.Segments;

/// <summary>Who a rule tree selects: the count and a sample, straight from the database.</summary>
public sealed class AudienceQuery(CrmDbContext db, TimeProvider clock, IServiceScopeFactory scopes, IOptions<SegmentOptions> options)
{
    // Below this span of customer ids one connection counts in a few milliseconds, and more would cost more than they save.
    private const long ParallelFromIds = 100_000;

    public sealed record SampleCustomer(long Id, string Name, string Email, string? City, decimal TotalSpend, int OrderCount, DateTime? LastOrderAt);

    public sealed record Preview(int Count, IReadOnlyList<SampleCustomer> Sample);

    /// <summary>The limits user-written trees are parsed with (<see cref="SegmentOptions"/>).</summary>
    public SegmentLimits Limits => options.Value.Limits;

    public async Task<Preview> PreviewAsync(RuleGroup tree, int sampleSize, CancellationToken ct)
    {
        var filter = Compile(tree);
        var count = await CountAsync(filter, ct);
        var sample = count == 0 ? [] : await db.Customers.AsNoTracking()
            .Where(filter)
            .OrderByDescending(c => c.Id)
            .Take(sampleSize)
            .Select(c => new SampleCustomer(c.Id, c.Name, c.Email, c.City, c.TotalSpend, c.OrderCount, c.LastOrderAt))
            .ToListAsync(ct);
        return new Preview(count, sample);
    }

    public Task<int> CountAsync(RuleGroup tree, CancellationToken ct) => CountAsync(Compile(tree), ct);

    private Expression<Func<Customer, bool>> Compile(RuleGroup tree) => SegmentCompiler.Compile(tree, clock.GetUtcNow().UtcDateTime, db.Provider);

    /// <summary>
    /// On MySQL a large table is counted in slices of its id range on parallel connections: MariaDB gives
    /// one query one core, and a segment over a million customers is mostly a scan. SQLite counts in one go.
    /// </summary>
    private async Task<int> CountAsync(Expression<Func<Customer, bool>> filter, CancellationToken ct)
    {
        var parallelism = options.Value.PreviewParallelism;
        if (db.Provider != CrmDatabaseProvider.MySql || parallelism == 1)
        {
            return await db.Customers.Where(filter).CountAsync(ct);
        }
        var first = await db.Customers.MinAsync(c => (long?)c.Id, ct);
        var last = await db.Customers.MaxAsync(c => (long?)c.Id, ct);
        if (first is not { } low || last is not { } high || high - low < ParallelFromIds)
        {
            return await db.Customers.Where(filter).CountAsync(ct);
        }
        var width = (high - low) / parallelism + 1;
        var slices = await Task.WhenAll(Enumerable.Range(0, parallelism).Select(async i =>
        {
            var (from, to) = (low + (i * width), low + ((i + 1) * width));
            // A DbContext runs one query at a time: each slice borrows its own from the pool.
            await using var scope = scopes.CreateAsyncScope();
            var slice = scope.ServiceProvider.GetRequiredService<CrmDbContext>();
            return await slice.Customers.Where(c => c.Id >= from && c.Id < to).Where(filter).CountAsync(ct);
        }));
        return slices.Sum();
    }
}
