using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.EntityFrameworkCore;
using XenoCrm.Core.Data;
using XenoCrm.Core.Segments;

namespace XenoCrm.Web.Pages.Segments;

public sealed class IndexModel(CrmDbContext db, AudienceQuery audience) : PageModel
{
    /// <summary>Each listed segment is counted as the page renders, one query apiece, so the list stops here.</summary>
    public const int MaxListed = 100;

    public sealed record SegmentRow(long Id, string Name, int Size, DateTime UpdatedAt, string UpdatedBy);

    public IReadOnlyList<SegmentRow> Segments { get; private set; } = [];

    public bool MoreThanListed { get; private set; }

    public async Task OnGetAsync(CancellationToken ct)
    {
        var saved = await db.Segments.AsNoTracking()
            .OrderByDescending(s => s.UpdatedAt).ThenByDescending(s => s.Id)
            .Take(MaxListed + 1)
            .Select(s => new { s.Id, s.Name, s.Rules, s.UpdatedAt, s.UpdatedBy })
            .ToListAsync(ct);
        MoreThanListed = saved.Count > MaxListed;
        var rows = new List<SegmentRow>();
        // One at a time: a DbContext runs one query at once.
        foreach (var s in saved.Take(MaxListed))
        {
            rows.Add(new SegmentRow(s.Id, s.Name, await audience.CountAsync(SegmentRulesJson.Read(s.Rules), ct), s.UpdatedAt, s.UpdatedBy));
        }
        Segments = rows;
    }
}
