using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using XenoCrm.Core.Data;

namespace XenoCrm.Web.Pages.SystemStatus;

/// <summary>
/// Live figures for admins without Prometheus: ingestion, queues, dead letters, sending campaigns and jobs. The page
/// renders one sample; its script asks the Figures handler for a new one every few seconds.
/// </summary>
public sealed class IndexModel(CrmDbContext db, SystemFigures figures) : PageModel
{
    public SystemFigures.Snapshot Figures { get; private set; } = null!;

    public async Task OnGetAsync(CancellationToken ct) => Figures = await figures.SampleAsync(db, ct);

    public async Task<IActionResult> OnGetFiguresAsync(CancellationToken ct) =>
        new JsonResult(await figures.SampleAsync(db, ct));
}
