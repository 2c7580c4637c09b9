using Microsoft.AspNetCore.Mvc;
using XenoCrm.Core.Segments;

namespace XenoCrm.Web.Pages.Segments;

public sealed class EditModel(SegmentCommands commands, AudienceQuery audience, DisplayFormat format) : SegmentEditorModel(commands, audience, format)
{
    [BindProperty(SupportsGet = true)]
    public long Id { get; set; }

    public override string Heading => "Edit segment";

    protected override long? EditedId => Id;

    public async Task<IActionResult> OnGetAsync(CancellationToken ct)
    {
        if (!await LoadAsync(Id, asCopy: false, ct))
        {
            return NotFound();
        }
        return Page();
    }
}
