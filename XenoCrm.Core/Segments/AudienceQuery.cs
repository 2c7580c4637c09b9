using Microsoft.EntityFrameworkCore;
using XenoCrm.Core.Data;

namespace XenoCrm.Core.Segments;

/// <summary>Who a rule tree selects: the count and a sample, straight from the database.</summary>
public sealed class AudienceQuery(CrmDbContext db, TimeProvider clock)
{
    public sealed record SampleCustomer(long Id, string Name, string Email, string? City, decimal TotalSpend, int OrderCount, DateTime? LastOrderAt);

    public sealed record Preview(int Count, IReadOnlyList<SampleCustomer> Sample);

    public async Task<Preview> PreviewAsync(RuleGroup tree, int sampleSize, CancellationToken ct)
    {
        var audience = db.Customers.AsNoTracking().Where(SegmentCompiler.Compile(tree, clock.GetUtcNow().UtcDateTime, db.Provider));
        var count = await audience.CountAsync(ct);
        var sample = count == 0 ? [] : await audience
            .OrderByDescending(c => c.Id)
            .Take(sampleSize)
            .Select(c => new SampleCustomer(c.Id, c.Name, c.Email, c.City, c.TotalSpend, c.OrderCount, c.LastOrderAt))
            .ToListAsync(ct);
        return new Preview(count, sample);
    }

    public Task<int> CountAsync(RuleGroup tree, CancellationToken ct) =>
        db.Customers.Where(SegmentCompiler.Compile(tree, clock.GetUtcNow().UtcDateTime, db.Provider)).CountAsync(ct);
}
