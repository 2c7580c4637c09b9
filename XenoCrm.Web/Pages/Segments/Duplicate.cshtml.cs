using Microsoft.AspNetCore.Mvc;
using XenoCrm.Core.Data;
using XenoCrm.Core.Segments;

namespace XenoCrm.Web.Pages.Segments;

/// <summary>A new segment prefilled from a saved one; saving creates it and leaves the original alone.</summary>
public sealed class DuplicateModel(CrmDbContext db, AudienceQuery audience, DisplayFormat format) : SegmentEditorModel(db, audience, format)
{
    public override string Heading => "New segment";

    public async Task<IActionResult> OnGetAsync(long id, CancellationToken ct)
    {
        var copied = await LoadAsync(id, CopyName, ct);
        return copied ? Page() : NotFound();
    }

    private static string CopyName(string name)
    {
        var copy = $"Copy of {name}";
        return copy.Length <= Segment.NameMaxLength ? copy : copy[..Segment.NameMaxLength];
    }
}
