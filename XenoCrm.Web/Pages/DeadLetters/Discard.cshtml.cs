using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.EntityFrameworkCore;
using XenoCrm.Core.Data;
using XenoCrm.Web.Audit;
using XenoCrm.Web.DeadLetters;

namespace XenoCrm.Web.Pages.DeadLetters;

/// <summary>Discarding loses the records for good, so it takes a second, deliberate POST from this page.</summary>
public sealed class DiscardModel(CrmDbContext db, DeadLetterReplayer replayer) : PageModel
{
    private const int PreviewChars = 2_000;

    public sealed record LetterSummary(long Id, string Topic, string Reason, int Attempts, DateTime CreatedAt, string BodyStart, int BodyLength);

    public LetterSummary Letter { get; private set; } = null!;

    public async Task<IActionResult> OnGetAsync(long id, CancellationToken ct)
    {
        var letter = await db.DeadLetters.AsNoTracking()
            .Where(d => d.Id == id)
            .Select(d => new LetterSummary(d.Id, d.Topic, d.Reason, d.Attempts, d.CreatedAt,
                d.Body.Length > PreviewChars ? d.Body.Substring(0, PreviewChars) : d.Body, d.Body.Length))
            .SingleOrDefaultAsync(ct);
        if (letter is null)
        {
            return NotFound();
        }
        Letter = letter;
        return Page();
    }

    public async Task<IActionResult> OnPostAsync(long id, CancellationToken ct)
    {
        if (await replayer.DiscardAsync(id, HttpContext.AuditActor(), ct))
        {
            TempData.Success($"Dead letter {id} was discarded.");
        }
        else
        {
            TempData.Failure($"Dead letter {id} is no longer here: it was replayed or discarded already.");
        }
        return RedirectToPage("/DeadLetters/Index");
    }
}
