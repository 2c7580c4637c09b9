using System.Globalization;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.AspNetCore.Mvc.Rendering;
using Microsoft.EntityFrameworkCore;
using XenoCrm.Core.Campaigns;
using XenoCrm.Core.Data;
using XenoCrm.Core.Segments;
using XenoCrm.Web.Audit;
using XenoCrm.Web.Authentication;

namespace XenoCrm.Web.Pages.Campaigns;

/// <summary>
/// What the new and edit pages share: the form (name, segment, template, delivery), its validation by
/// <see cref="CampaignCommands"/> with each error shown beside its field, the save and send, and the two
/// things campaign-editor.js asks for as the user works: the chosen segment's size and a template preview.
/// </summary>
public abstract class CampaignEditorModel(CrmDbContext db, CampaignCommands commands, CampaignTemplatePreview previews, AudienceQuery audience, DisplayFormat format,
    TimeProvider clock) : PageModel
{
    public const int PreviewCustomers = 3;
    public const string SendNow = "now";
    public const string SendLater = "later";
    /// <summary>The save and the preview post the whole form, whose largest field is the template, url-encoded or as multipart.</summary>
    public const long MaxFormBytes = Campaign.TemplateMaxLength * PageBodyLimits.FormEncodedBytesPerChar + PageBodyLimits.DefaultMaxBytes;
    public const string ExampleTemplate = "Hi {{ customer.name | default: \"there\" }}, here's 10% off on your next order!";

    public sealed class EditorInput
    {
        public string? Name { get; set; } = "";
        public long? SegmentId { get; set; }
        public string? Template { get; set; } = ExampleTemplate;

        /// <summary><see cref="SendNow"/> or <see cref="SendLater"/>.</summary>
        public string Delivery { get; set; } = SendNow;

        /// <summary>A wall-clock time as <c>datetime-local</c> posts it, in <see cref="TimeZone"/>.</summary>
        public string? ScheduleAt { get; set; }

        /// <summary>An IANA id; the browser's own zone when the page opens on a new campaign.</summary>
        public string? TimeZone { get; set; }
    }

    public sealed record PreviewMessage(long CustomerId, string CustomerName, string ProfileUrl, string Message);

    /// <param name="Template">The template with its <c>[Name]</c> placeholders turned into Liquid, when there were any.</param>
    public sealed record PreviewAnswer(string? Template, IReadOnlyList<PreviewMessage> Messages, IReadOnlyDictionary<string, string[]> Errors);

    public sealed record SegmentSizeAnswer(int Count, string Text);

    [BindProperty]
    public EditorInput Input { get; set; } = new();

    public IReadOnlyList<SelectListItem> Segments { get; private set; } = [];

    public IReadOnlyList<SelectListItem> TimeZones { get; private set; } = [];

    public abstract string Heading { get; }

    protected CrmDbContext Db => db;

    /// <summary>The campaign this page saves over, or null when saving creates one.</summary>
    protected virtual long? EditedId => null;

    /// <summary>A scheduled campaign stays scheduled when saved, so it offers no "Save draft".</summary>
    public bool CanSaveDraft { get; protected set; } = true;

    /// <summary>The link that leaves without saving; on an existing campaign "Cancel" could be read as cancelling it.</summary>
    public virtual string LeaveLabel => "Cancel";

    public static IReadOnlyList<string> Fields => TemplateCustomer.Fields;

    [BodyLimit(MaxFormBytes)]
    public virtual async Task<IActionResult> OnPostAsync(string? action, CancellationToken ct)
    {
        var send = action == "send";
        Input.Name = Input.Name?.Trim() ?? "";
        Input.Template = MessageTemplate.FromPlaceholders(Input.Template ?? "");
        var later = Input.Delivery == SendLater;
        var draft = new CampaignCommands.CampaignDraft(Input.Name, Input.SegmentId, Input.Template);

        // Everything is checked before anything is saved, so that a bad send time does not leave a stray draft.
        var errors = await commands.ValidateAsync(draft, ct);
        DateTime? at = null;
        if (send && later)
        {
            if (!CampaignSchedule.TryToUtc(Input.ScheduleAt, Input.TimeZone, out var utc, out var error))
            {
                errors[error!.Value.Field] = [error.Value.Message];
            }
            else if (utc <= clock.GetUtcNow().UtcDateTime)
            {
                errors["at"] = ["That time has passed; choose a time in the future, or send now."];
            }
            else
            {
                at = utc;
            }
        }
        if (errors.Count > 0 || !ModelState.IsValid)
        {
            AddErrors(errors);
            await LoadChoicesAsync(ct);
            return Page();
        }

        var saved = EditedId is { } id
            ? await commands.UpdateAsync(id, draft, ct)
            : await commands.CreateAsync(draft, User.Author(), ct);
        switch (saved.Outcome)
        {
            case CampaignCommands.Outcome.NotFound:
                return NotFound();
            case CampaignCommands.Outcome.Conflict:
                TempData.Failure(saved.Reason!);
                return RedirectToPage("/Campaigns/Details", new { id = EditedId });
            case CampaignCommands.Outcome.Invalid:
                AddErrors(saved.Errors!);
                await LoadChoicesAsync(ct);
                return Page();
        }
        var campaign = saved.Campaign!;
        if (!send)
        {
            TempData.Success($"Saved “{campaign.Name}”.");
            return RedirectToPage("/Campaigns/Details", new { id = campaign.Id });
        }

        var sent = await commands.SendAsync(campaign.Id, at, later ? Input.TimeZone : null, HttpContext.AuditActor(), ct);
        if (sent.Outcome == CampaignCommands.Outcome.Done)
        {
            TempData.Success(at is { } when
                ? $"Scheduled “{campaign.Name}” for {CampaignSchedule.Describe(when, Input.TimeZone)}."
                : $"Sending “{campaign.Name}”.");
        }
        else
        {
            // Saved, but refused to send (the time passed meanwhile, say): the campaign page says why and offers to try again.
            TempData.Failure($"Saved “{campaign.Name}” but did not send it: {Describe(sent)}");
        }
        return RedirectToPage("/Campaigns/Details", new { id = campaign.Id });
    }

    /// <summary>The template rendered for the first few customers of the segment, or what is wrong with either.</summary>
    [BodyLimit(MaxFormBytes)]
    public async Task<IActionResult> OnPostPreviewAsync(CancellationToken ct)
    {
        var source = Input.Template ?? "";
        var template = MessageTemplate.FromPlaceholders(source);
        var result = await previews.RenderAsync(template, Input.SegmentId, PreviewCustomers, ct);
        var messages = result.Messages
            .Select(m => new PreviewMessage(m.CustomerId, m.CustomerName, Url.Page("/Customers/Profile", new { id = m.CustomerId })!, m.Message))
            .ToList();
        return new JsonResult(new PreviewAnswer(template == source ? null : template, messages, result.Errors));
    }

    /// <summary>The chosen segment's size now: one count, asked for when the choice changes.</summary>
    public async Task<IActionResult> OnGetSegmentSizeAsync(long segmentId, CancellationToken ct)
    {
        return await audience.CountSavedAsync(segmentId, ct) is { } count
            ? new JsonResult(new SegmentSizeAnswer(count, count == 1 ? "1 customer now" : $"{format.Count(count)} customers now"))
            : NotFound();
    }

    protected async Task LoadChoicesAsync(CancellationToken ct)
    {
        var segments = await db.Segments.AsNoTracking()
            .OrderBy(s => s.Name).ThenBy(s => s.Id)
            .Select(s => new { s.Id, s.Name })
            .ToListAsync(ct);
        Segments = [.. segments.Select(s => new SelectListItem(s.Name, s.Id.ToString(CultureInfo.InvariantCulture)))];
        // A zone saved under an alias the list spells differently is still offered.
        TimeZones = Input.TimeZone is { } zone && CampaignSchedule.IsKnownZone(zone) && CampaignSchedule.Zones.All(z => z.Value != zone)
            ? [.. CampaignSchedule.Zones, new SelectListItem(zone, zone)]
            : CampaignSchedule.Zones;
    }

    private void AddErrors(IReadOnlyDictionary<string, string[]> errors)
    {
        foreach (var (field, messages) in errors)
        {
            var key = field switch
            {
                "name" => "Input.Name",
                "segmentId" => "Input.SegmentId",
                "template" => "Input.Template",
                "at" => "Input.ScheduleAt",
                "timeZone" => "Input.TimeZone",
                _ => "",
            };
            foreach (var message in messages)
            {
                ModelState.AddModelError(key, message);
            }
        }
    }

    internal static string Describe(CampaignCommands.Result result) => result.Outcome switch
    {
        CampaignCommands.Outcome.Conflict => result.Reason!,
        CampaignCommands.Outcome.Invalid => string.Join(" ", result.Errors!.SelectMany(e => e.Value)),
        CampaignCommands.Outcome.NotFound => "The campaign no longer exists.",
        _ => "",
    };
}
