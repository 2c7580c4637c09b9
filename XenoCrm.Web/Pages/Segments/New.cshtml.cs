using XenoCrm.Core.Data;
using XenoCrm.Core.Segments;

namespace XenoCrm.Web.Pages.Segments;

public sealed class NewModel(CrmDbContext db, AudienceQuery audience, DisplayFormat format) : SegmentEditorModel(db, audience, format)
{
    public override string Heading => "New segment";

    public void OnGet()
    {
    }
}
