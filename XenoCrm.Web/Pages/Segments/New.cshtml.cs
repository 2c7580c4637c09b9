using XenoCrm.Core.Segments;

namespace XenoCrm.Web.Pages.Segments;

public sealed class NewModel(SegmentCommands commands, AudienceQuery audience, DisplayFormat format) : SegmentEditorModel(commands, audience, format)
{
    public override string Heading => "New segment";

    public void OnGet()
    {
    }
}
