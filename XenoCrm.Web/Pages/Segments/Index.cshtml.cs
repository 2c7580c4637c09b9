using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.EntityFrameworkCore;
using XenoCrm.Core.Data;
using XenoCrm.Core.Segments;

namespace XenoCrm.Web.Pages.Segments;

/// <summary>
/// The saved segments, most recently edited first. Their sizes are counted after the page renders, one
/// request each (<see cref="OnGetSizeAsync"/>): at a million customers a count takes a quarter to half a
/// second, so counting them all before the first byte would keep the list blank for seconds.
/// </summary>
public sealed class IndexModel(CrmDbContext db, AudienceQuery audience, DisplayFormat format) : PageModel
{
    public const int MaxListed = 100;

    public sealed record SegmentRow(long Id, string Name, DateTime UpdatedAt, string UpdatedBy);

    public sealed record SizeAnswer(int Count, string Text);

    public IReadOnlyList<SegmentRow> Segments { get; private set; } = [];

    public bool MoreThanListed { get; private set; }

    public async Task OnGetAsync(CancellationToken ct)
    {
        var saved = await db.Segments.AsNoTracking()
            .OrderByDescending(s => s.UpdatedAt).ThenByDescending(s => s.Id)
            .Take(MaxListed + 1)
            .Select(s => new SegmentRow(s.Id, s.Name, s.UpdatedAt, s.UpdatedBy))
            .ToListAsync(ct);
        MoreThanListed = saved.Count > MaxListed;
        Segments = [.. saved.Take(MaxListed)];
    }

    /// <summary>One segment's size now, as the list shows it; 404 when the segment is gone.</summary>
    public async Task<IActionResult> OnGetSizeAsync(long id, CancellationToken ct)
    {
        return await audience.CountSavedAsync(id, ct) is { } count
            ? new JsonResult(new SizeAnswer(count, format.Count(count)))
            : NotFound();
    }
}
