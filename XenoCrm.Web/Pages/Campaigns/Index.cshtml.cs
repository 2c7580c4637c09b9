using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.EntityFrameworkCore;
using XenoCrm.Core.Data;
using XenoCrm.Core.Campaigns;

namespace XenoCrm.Web.Pages.Campaigns;

public sealed class IndexModel(CrmDbContext db, DisplayFormat format) : PageModel
{
    /// <summary>No page lists more, so no poll asks for more.</summary>
    public const int MaxPolled = 100;

    public PageOf<CampaignStatistics.Summary> Campaigns { get; private set; } = null!;

    public Pager Pager { get; private set; } = null!;

    /// <summary>Whether any segment exists: without one, the first step is to make one.</summary>
    public bool HasSegments { get; private set; }

    public CampaignProgress Progress(CampaignStatistics.Summary campaign) => CampaignProgress.From(campaign, format);

    public async Task OnGetAsync(int pageIndex = 1, int size = 25, CancellationToken ct = default)
    {
        Campaigns = await Paging.ReadAsync(CampaignStatistics.Summaries(db), pageIndex, size, ct);
        Pager = Pager.For(Campaigns, "campaigns", p => Url.Page("/Campaigns/Index", new
        {
            pageIndex = p == 1 ? (int?)null : p,
            size = Campaigns.Size == Paging.Sizes[0] ? (int?)null : Campaigns.Size,
        }));
        HasSegments = Campaigns.Total > 0 || await db.Segments.AnyAsync(ct);
    }

    /// <summary>The numbers of the listed campaigns that are still moving, for campaigns.js (the list and the campaign page).</summary>
    public async Task<IActionResult> OnGetProgressAsync([FromQuery] long[] ids, CancellationToken ct)
    {
        var wanted = ids.Distinct().Take(MaxPolled).ToArray();
        if (wanted.Length == 0)
        {
            return new JsonResult(Array.Empty<CampaignProgress>());
        }
        var summaries = await CampaignStatistics.Summaries(db, wanted).ToListAsync(ct);
        return new JsonResult(summaries.Select(s => CampaignProgress.From(s, format)));
    }
}
