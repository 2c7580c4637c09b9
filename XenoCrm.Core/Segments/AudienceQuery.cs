using System.Linq.Expressions;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using XenoCrm.Core.Customers;
using XenoCrm.Core.Data;

namespace XenoCrm.Core.Segments;

/// <summary>Who a rule tree selects: the count and a sample, straight from the database.</summary>
public sealed class AudienceQuery(CrmDbContext db, TimeProvider clock, IOptions<SegmentOptions> options)
{
    public sealed record SampleCustomer(long Id, string Name, string Email, string? City, decimal TotalSpend, int OrderCount, DateTime? LastOrderAt);

    public sealed record Preview(int Count, IReadOnlyList<SampleCustomer> Sample);

    /// <summary>The limits user-written trees are parsed with (<see cref="SegmentOptions"/>).</summary>
    public SegmentLimits Limits => options.Value.Limits;

    public async Task<Preview> PreviewAsync(RuleGroup tree, int sampleSize, CancellationToken ct)
    {
        var audience = db.Customers.AsNoTracking().Where(Compile(tree));
        var count = await audience.CountAsync(ct);
        var sample = count == 0 ? [] : await audience
            .OrderByDescending(c => c.Id)
            .Take(sampleSize)
            .Select(c => new SampleCustomer(c.Id, c.Name, c.Email, c.City, c.TotalSpend, c.OrderCount, c.LastOrderAt))
            .ToListAsync(ct);
        return new Preview(count, sample);
    }

    public Task<int> CountAsync(RuleGroup tree, CancellationToken ct) => db.Customers.Where(Compile(tree)).CountAsync(ct);

    /// <summary>How many trees one query counts; bounds the statement's size and its parameters.</summary>
    public const int TreesPerScan = 25;

    /// <summary>
    /// Each tree's count, in order, from one scan of customers per <see cref="TreesPerScan"/> trees
    /// (<c>COUNT(CASE WHEN … THEN 1 END)</c> per tree) rather than a scan per tree: a list of saved
    /// segments at a million customers costs about one scan instead of one apiece.
    /// </summary>
    public async Task<IReadOnlyList<int>> CountEachAsync(IReadOnlyList<RuleGroup> trees, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(trees);
        var counts = new List<int>(trees.Count);
        foreach (var chunk in trees.Chunk(TreesPerScan))
        {
            var group = Expression.Parameter(typeof(IGrouping<int, Customer>), "g");
            var countEach = Expression.Lambda<Func<IGrouping<int, Customer>, int[]>>(
                Expression.NewArrayInit(typeof(int), chunk.Select(tree =>
                    Expression.Call(typeof(Enumerable), nameof(Enumerable.Count), [typeof(Customer)], group, Compile(tree)))),
                group);
            // Grouping by a constant is EF's way to several aggregates in one SELECT; no customers, no group.
            var scanned = await db.Customers.AsNoTracking().GroupBy(c => 1).Select(countEach).SingleOrDefaultAsync(ct);
            counts.AddRange(scanned ?? new int[chunk.Length]);
        }
        return counts;
    }

    private Expression<Func<Customer, bool>> Compile(RuleGroup tree) => SegmentCompiler.Compile(tree, clock.GetUtcNow().UtcDateTime, db.Provider);
}
