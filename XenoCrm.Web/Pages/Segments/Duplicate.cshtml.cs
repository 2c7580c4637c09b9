using Microsoft.AspNetCore.Mvc;
using XenoCrm.Core.Segments;

namespace XenoCrm.Web.Pages.Segments;

/// <summary>A new segment prefilled from a saved one; saving creates it and leaves the original alone.</summary>
public sealed class DuplicateModel(SegmentCommands commands, AudienceQuery audience, DisplayFormat format) : SegmentEditorModel(commands, audience, format)
{
    public override string Heading => "New segment";

    public async Task<IActionResult> OnGetAsync(long id, CancellationToken ct) =>
        await LoadAsync(id, asCopy: true, ct) ? Page() : NotFound();
}
