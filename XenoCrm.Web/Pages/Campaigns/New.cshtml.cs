using XenoCrm.Core.Data;
using XenoCrm.Core.Segments;
using XenoCrm.Core.Campaigns;

namespace XenoCrm.Web.Pages.Campaigns;

public sealed class NewModel(CrmDbContext db, CampaignCommands commands, CampaignTemplatePreview previews, AudienceQuery audience, DisplayFormat format,
    TimeProvider clock) : CampaignEditorModel(db, commands, previews, audience, format, clock)
{
    public override string Heading => "New campaign";

    /// <param name="segmentId">Preselects a segment (a link from elsewhere may name one).</param>
    public async Task OnGetAsync(long? segmentId, CancellationToken ct)
    {
        Input.SegmentId = segmentId;
        await LoadChoicesAsync(ct);
    }
}
