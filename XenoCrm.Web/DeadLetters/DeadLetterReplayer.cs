using System.Text;
using Microsoft.EntityFrameworkCore;
using XenoCrm.Core.Data;
using XenoCrm.ServiceDefaults.Messaging;

namespace XenoCrm.Web.DeadLetters;

/// <summary>
/// Puts dead letters back on their topic as first attempts, then forgets them. Publishing comes
/// first: a crash in between replays a letter twice, which ingestion's idempotency absorbs.
/// Discarding forgets a letter without replaying it, for one an operator has judged worthless.
/// </summary>
public sealed class DeadLetterReplayer(CrmDbContext db, IMessageTransport transport)
{
    private const int PageSize = 100;

    public async Task<bool> ReplayAsync(long id, CancellationToken ct)
    {
        var letter = await db.DeadLetters.AsNoTracking().SingleOrDefaultAsync(d => d.Id == id, ct);
        if (letter is null)
        {
            return false;
        }
        // By its stored topic and body, not its type: the letter is replayed as it was, as a first attempt.
        await transport.SendAsync(new OutgoingMessage(letter.Topic, Encoding.UTF8.GetBytes(letter.Body)), ct);
        await db.DeadLetters.Where(d => d.Id == id).ExecuteDeleteAsync(ct);
        return true;
    }

    /// <returns>False when no dead letter has this id (already replayed or discarded).</returns>
    public async Task<bool> DiscardAsync(long id, CancellationToken ct) =>
        await db.DeadLetters.Where(d => d.Id == id).ExecuteDeleteAsync(ct) == 1;

    public async Task<int> ReplayAllAsync(CancellationToken ct)
    {
        var replayed = 0;
        var after = 0L;
        while (true)
        {
            var ids = await db.DeadLetters.Where(d => d.Id > after).OrderBy(d => d.Id).Select(d => d.Id).Take(PageSize).ToListAsync(ct);
            if (ids.Count == 0)
            {
                return replayed;
            }
            foreach (var id in ids)
            {
                replayed += await ReplayAsync(id, ct) ? 1 : 0;
            }
            after = ids[^1];
        }
    }
}
