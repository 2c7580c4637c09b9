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

    /// <summary>A saved segment's size now, or null when no segment has that id.</summary>
    public async Task<int?> CountSavedAsync(long segmentId, CancellationToken ct)
    {
        var rules = await db.Segments.AsNoTracking().Where(s => s.Id == segmentId).Select(s => s.Rules).SingleOrDefaultAsync(ct);
        return rules is null ? null : await CountAsync(SegmentRulesJson.Read(rules), ct);
    }

    private Expression<Func<Customer, bool>> Compile(RuleGroup tree) => SegmentCompiler.Compile(tree, clock.GetUtcNow().UtcDateTime, db.Provider);
}
