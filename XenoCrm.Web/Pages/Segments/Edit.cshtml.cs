using Microsoft.AspNetCore.Mvc;
using XenoCrm.Core.Data;
using XenoCrm.Core.Segments;

namespace XenoCrm.Web.Pages.Segments;

public sealed class EditModel(CrmDbContext db, AudienceQuery audience, DisplayFormat format) : SegmentEditorModel(db, audience, format)
{
    [BindProperty(SupportsGet = true)]
    public long Id { get; set; }

    public override string Heading => "Edit segment";

    protected override long? EditedId => Id;

    public async Task<IActionResult> OnGetAsync(CancellationToken ct)
    {
        if (!await LoadAsync(Id, name => name, ct))
        {
            return NotFound();
        }
        return Page();
    }
}
