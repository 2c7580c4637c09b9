using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.EntityFrameworkCore;
using XenoCrm.Core.Data;
using XenoCrm.Web.Audit;
using XenoCrm.Web.DeadLetters;
using XenoCrm.ServiceDefaults.Messaging;

namespace XenoCrm.Web.Pages.DeadLetters;

/// <summary>
/// Messages that kept failing, with the reason, and the way back: replay one, replay all, or
/// discard one (after a confirmation page). Bodies are whatever a client sent, so they are only
/// ever shown as encoded text.
/// </summary>
public sealed class IndexModel(CrmDbContext db, DeadLetterReplayer replayer, ILogger<IndexModel> logger) : PageModel
{
    /// <summary>A batch's body can run to megabytes; the page shows its start and says how much is left out.</summary>
    public const int MaxBodyChars = 20_000;

    public sealed record LetterRow(long Id, string Topic, string Reason, int Attempts, DateTime CreatedAt, string Body, int BodyLength)
    {
        public int LeftOut => BodyLength - Body.Length;
    }

    public PageOf<LetterRow> Letters { get; private set; } = null!;
    public Pager Pager { get; private set; } = null!;

    public async Task OnGetAsync(int pageIndex = 1, int size = 25, CancellationToken ct = default)
    {
        Letters = await Paging.ReadAsync(db.DeadLetters.AsNoTracking(),
            letters => letters.OrderByDescending(d => d.Id),
            letters => letters.Select(d => new LetterRow(d.Id, d.Topic, d.Reason, d.Attempts, d.CreatedAt,
                    d.Body.Length > MaxBodyChars ? d.Body.Substring(0, MaxBodyChars) : d.Body, d.Body.Length)),
            pageIndex, size, ct);
        Pager = Pager.For(Letters, "dead letters", p => Url.Page("/DeadLetters/Index", new
        {
            pageIndex = p == 1 ? (int?)null : p,
            size = Letters.Size == Paging.Sizes[0] ? (int?)null : Letters.Size,
        }));
    }

    public async Task<IActionResult> OnPostReplayAsync(long id, CancellationToken ct)
    {
        try
        {
            if (await replayer.ReplayAsync(id, HttpContext.AuditActor(), ct))
            {
                TempData.Success($"Dead letter {id} was put back on its queue; ingestion processes it again as a first attempt.");
            }
            else
            {
                TempData.Failure($"Dead letter {id} is no longer here: it was replayed or discarded already.");
            }
        }
        catch (MessagePublishException ex)
        {
            logger.LogWarning("Replaying dead letter {Id} failed: {Error}", id, ex.Message);
            TempData.Failure($"The message broker did not accept dead letter {id}, so it stays here. Try again shortly.");
        }
        return RedirectToPage();
    }

    public async Task<IActionResult> OnPostReplayAllAsync(CancellationToken ct)
    {
        try
        {
            var replayed = await replayer.ReplayAllAsync(HttpContext.AuditActor(), ct);
            TempData.Success(replayed == 0
                ? "There was nothing to replay."
                : $"Put {replayed:N0} dead letter{(replayed == 1 ? "" : "s")} back on their queues; ingestion processes them again as first attempts.");
        }
        catch (MessagePublishException ex)
        {
            logger.LogWarning("Replaying all dead letters stopped: {Error}", ex.Message);
            TempData.Failure("The message broker stopped accepting messages part-way; the dead letters still listed were not replayed. Try again shortly.");
        }
        return RedirectToPage();
    }
}
