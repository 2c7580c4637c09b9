using System.Globalization;
using System.Text;
using Microsoft.EntityFrameworkCore;
using XenoCrm.Core.Audit;
using XenoCrm.Core.Data;
using XenoCrm.ServiceDefaults.Messaging;

namespace XenoCrm.Web.DeadLetters;

/// <summary>
/// Puts dead letters back on their topic as first attempts, then forgets them. Publishing comes
/// first: a crash in between replays a letter twice, which ingestion's idempotency absorbs.
/// Discarding forgets a letter without replaying it, for one an operator has judged worthless.
/// Each letter replayed or discarded gets its audit row, in the transaction that deletes it.
/// </summary>
public sealed class DeadLetterReplayer(CrmDbContext db, IMessageTransport transport, AuditTrail audit)
{
    private const int PageSize = 100;

    public async Task<bool> ReplayAsync(long id, AuditActor by, CancellationToken ct)
    {
        var letter = await db.DeadLetters.AsNoTracking().SingleOrDefaultAsync(d => d.Id == id, ct);
        if (letter is null)
        {
            return false;
        }
        // By its stored topic and body, not its type: the letter is replayed as it was, as a first attempt.
        await transport.SendAsync(new OutgoingMessage(letter.Topic, Encoding.UTF8.GetBytes(letter.Body)), ct);
        await ForgetAsync(id, letter.Topic, AuditActions.DeadLetterReplayed, by, ct);
        return true;
    }

    /// <returns>False when no dead letter has this id (already replayed or discarded).</returns>
    public async Task<bool> DiscardAsync(long id, AuditActor by, CancellationToken ct)
    {
        var topic = await db.DeadLetters.Where(d => d.Id == id).Select(d => d.Topic).SingleOrDefaultAsync(ct);
        return topic is not null && await ForgetAsync(id, topic, AuditActions.DeadLetterDiscarded, by, ct);
    }

    public async Task<int> ReplayAllAsync(AuditActor by, CancellationToken ct)
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
                replayed += await ReplayAsync(id, by, ct) ? 1 : 0;
            }
            after = ids[^1];
        }
    }

    /// <summary>Deletes the letter and records why, together; false when another request deleted it first.</summary>
    private async Task<bool> ForgetAsync(long id, string topic, string action, AuditActor by, CancellationToken ct)
    {
        await using var transaction = await db.Database.BeginTransactionAsync(ct);
        if (await db.DeadLetters.Where(d => d.Id == id).ExecuteDeleteAsync(ct) != 1)
        {
            await transaction.RollbackAsync(ct);
            return false;
        }
        await audit.RecordAsync(db, new AuditEntry(by, action, AuditTargets.DeadLetter, id.ToString(CultureInfo.InvariantCulture), topic), ct);
        await transaction.CommitAsync(ct);
        return true;
    }
}
