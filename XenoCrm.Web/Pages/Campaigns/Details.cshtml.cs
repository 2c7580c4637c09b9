using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using System.Globalization;
using Microsoft.EntityFrameworkCore;
using XenoCrm.Core.Audit;
using XenoCrm.Core.Campaigns;
using XenoCrm.Core.Data;
using XenoCrm.Core.Segments;
using XenoCrm.Web.Authentication;
using XenoCrm.Web.Audit;
using XenoCrm.Web.Pages.Segments;

namespace XenoCrm.Web.Pages.Campaigns;

public sealed class DetailsModel(CrmDbContext db, CampaignCommands commands, AuditTrail audit, DisplayFormat format) : PageModel
{
    public const int MaxSearchLength = 200;

    public CampaignStatistics.Detail Detail { get; private set; } = null!;

    public CampaignStatistics.Summary Campaign => Detail.Campaign;

    public CampaignProgress Progress { get; private set; } = null!;

    /// <summary>The segment's rules in plain English, or null when neither a snapshot nor the segment is left.</summary>
    public string? Audience { get; private set; }

    public PageOf<CampaignStatistics.MessageRow> Messages { get; private set; } = null!;

    public Pager Pager { get; private set; } = null!;

    public MessageStatus? Status { get; private set; }

    public string Search { get; private set; } = "";

    /// <summary>Whether the page offers <paramref name="command"/>'s button: the lifecycle allows it (and a retry has failures to look at).</summary>
    public bool Offers(CampaignCommand command) =>
        User.CanWrite() && CampaignLifecycle.Allows(Campaign.Status, command) && (command != CampaignCommand.RetryFailed || Campaign.Failed > 0);

    /// <summary>All the failures of every attempt, the denominator of the failures table's shares.</summary>
    public int AllFailures => Detail.Failures.Sum(f => f.Count);

    public async Task<IActionResult> OnGetAsync(long id, string? status, string? search, int pageIndex = 1, int size = 25, CancellationToken ct = default)
    {
        if (await CampaignStatistics.DetailAsync(db, id, ct) is not { } detail)
        {
            return NotFound();
        }
        Detail = detail;
        Progress = CampaignProgress.From(detail.Campaign, format);
        Audience = Describe(detail.Rules);
        Status = CampaignStatistics.TryParseStatus(status, out var parsed) ? parsed : null;
        Search = Trimmed(search);
        Messages = await Paging.ReadAsync(CampaignStatistics.Messages(db, id, Status, Search), pageIndex, size, ct);
        Pager = Pager.For(Messages, "messages", LogUrl);
        return Page();
    }

    /// <summary>Sent and failed over time, for the chart.</summary>
    public async Task<IActionResult> OnGetTimelineAsync(long id, CancellationToken ct) =>
        new JsonResult(await CampaignStatistics.TimelineAsync(db, id, ct));

    /// <summary>
    /// The message log as CSV, filtered like the page, streamed as it is read: the whole log is never in memory. Every
    /// export is in the audit log (recipients' addresses leave the CRM), recorded before the first row is sent.
    /// </summary>
    [RequiresPolicy(AuthPolicies.Marketer)]
    public async Task<IActionResult> OnGetExportAsync(long id, string? status, string? search, CancellationToken ct)
    {
        if (await db.Campaigns.Where(c => c.Id == id).Select(c => c.Name).SingleOrDefaultAsync(ct) is not { } name)
        {
            return NotFound();
        }
        // An unknown status exports everything, as the page shows everything for it.
        var wanted = CampaignStatistics.TryParseStatus(status, out var parsed) ? parsed : null;
        var filter = (wanted is null ? "all messages" : $"status {wanted.Value.ToString().ToLowerInvariant()}") + (Trimmed(search) is { Length: > 0 } term ? $", search “{term}”" : "");
        await audit.RecordAsync(db, new AuditEntry(HttpContext.AuditActor(), AuditActions.Export, AuditTargets.Campaign,
            id.ToString(CultureInfo.InvariantCulture), name, $"message log CSV, {filter}"), CancellationToken.None);
        Response.ContentType = "text/csv; charset=utf-8";
        Response.Headers.ContentDisposition = $"attachment; filename=\"campaign-{id}-messages.csv\"";
        // One reader over the log in id order; the writer flushes every few thousand rows, so memory stays flat.
        var rows = CampaignStatistics.Messages(db, id, wanted, Trimmed(search)).AsAsyncEnumerable();
        await MessageLogCsv.WriteAsync(Response.Body, rows, ct);
        return new EmptyResult();
    }

    public Task<IActionResult> OnPostSendAsync(long id, CancellationToken ct) =>
        ActAsync(id, () => commands.SendAsync(id, null, null, HttpContext.AuditActor(), ct), "Sending");

    public Task<IActionResult> OnPostCancelAsync(long id, CancellationToken ct) =>
        ActAsync(id, () => commands.CancelAsync(id, HttpContext.AuditActor(), ct), "Cancelled");

    public Task<IActionResult> OnPostRetryFailedAsync(long id, CancellationToken ct) =>
        ActAsync(id, () => commands.RetryFailedAsync(id, HttpContext.AuditActor(), ct), "Resending the failed messages of");

    public async Task<IActionResult> OnPostDeleteAsync(long id, CancellationToken ct)
    {
        var name = await db.Campaigns.Where(c => c.Id == id).Select(c => c.Name).SingleOrDefaultAsync(ct);
        var result = await commands.DeleteAsync(id, HttpContext.AuditActor(), ct);
        if (result.Outcome == CampaignCommands.Outcome.Done)
        {
            TempData.Success($"Deleted “{name}”.");
            return RedirectToPage("/Campaigns/Index");
        }
        return Refused(id, result);
    }

    public string? LogUrl(int pageIndex) => Url.Page("/Campaigns/Details", new
    {
        id = Campaign.Id,
        status = Status?.ToString().ToLowerInvariant(),
        search = Search.Length == 0 ? null : Search,
        pageIndex = pageIndex == 1 ? (int?)null : pageIndex,
        size = Messages.Size == Paging.Sizes[0] ? (int?)null : Messages.Size,
    }) + "#messages";

    public string? ExportUrl() => Url.Page("/Campaigns/Details", "Export", new
    {
        id = Campaign.Id,
        status = Status?.ToString().ToLowerInvariant(),
        search = Search.Length == 0 ? null : Search,
    });

    private async Task<IActionResult> ActAsync(long id, Func<Task<CampaignCommands.Result>> act, string done)
    {
        var result = await act();
        if (result.Outcome != CampaignCommands.Outcome.Done)
        {
            return Refused(id, result);
        }
        TempData.Success($"{done} “{result.Campaign!.Name}”.");
        return RedirectToPage("/Campaigns/Details", new { id });
    }

    private IActionResult Refused(long id, CampaignCommands.Result result)
    {
        if (result.Outcome == CampaignCommands.Outcome.NotFound)
        {
            return NotFound();
        }
        TempData.Failure(CampaignEditorModel.Describe(result));
        return RedirectToPage("/Campaigns/Details", new { id });
    }

    private string? Describe(System.Text.Json.JsonElement? rules)
    {
        if (rules is not { } json)
        {
            return null;
        }
        var (tree, _) = SegmentRulesParser.Parse(json, SegmentLimits.Stored);
        return tree is null ? null : SegmentDescription.Describe(tree, format);
    }

    private static string Trimmed(string? search)
    {
        var trimmed = (search ?? "").Trim();
        return trimmed.Length > MaxSearchLength ? trimmed[..MaxSearchLength] : trimmed;
    }
}
