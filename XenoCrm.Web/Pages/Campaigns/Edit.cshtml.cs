using Microsoft.AspNetCore.Mvc;
using Microsoft.EntityFrameworkCore;
using XenoCrm.Core.Campaigns;
using XenoCrm.Core.Data;
using XenoCrm.Core.Segments;

namespace XenoCrm.Web.Pages.Campaigns;

public sealed class EditModel(CrmDbContext db, CampaignCommands commands, CampaignTemplatePreview previews, AudienceQuery audience, DisplayFormat format,
    TimeProvider clock) : CampaignEditorModel(db, commands, previews, audience, format, clock)
{
    [BindProperty(SupportsGet = true)]
    public long Id { get; set; }

    public override string Heading => "Edit campaign";

    protected override long? EditedId => Id;

    public override string LeaveLabel => "Discard changes";

    public async Task<IActionResult> OnGetAsync(CancellationToken ct)
    {
        var campaign = await Db.Campaigns.AsNoTracking()
            .Where(c => c.Id == Id)
            .Select(c => new { c.Name, c.SegmentId, c.Template, c.Status, c.ScheduledAt, c.TimeZone })
            .SingleOrDefaultAsync(ct);
        if (campaign is null)
        {
            return NotFound();
        }
        if (!CampaignLifecycle.Allows(campaign.Status, CampaignCommand.Edit))
        {
            TempData.Failure($"“{campaign.Name}” is {campaign.Status}; only a draft or a scheduled campaign can be edited.");
            return RedirectToPage("/Campaigns/Details", new { id = Id });
        }
        Input = new EditorInput { Name = campaign.Name, SegmentId = campaign.SegmentId, Template = campaign.Template };
        if (campaign is { Status: CampaignStatus.Scheduled, ScheduledAt: { } at })
        {
            Input.Delivery = SendLater;
            Input.TimeZone = campaign.TimeZone ?? "UTC";
            Input.ScheduleAt = CampaignSchedule.ToInput(at, Input.TimeZone);
        }
        CanSaveDraft = campaign.Status == CampaignStatus.Draft;
        await LoadChoicesAsync(ct);
        return Page();
    }

    public override async Task<IActionResult> OnPostAsync(string? action, CancellationToken ct)
    {
        CanSaveDraft = await Db.Campaigns.AnyAsync(c => c.Id == Id && c.Status == CampaignStatus.Draft, ct);
        return await base.OnPostAsync(action, ct);
    }
}
