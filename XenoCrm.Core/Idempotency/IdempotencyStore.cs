using System.Security.Cryptography;
using System.Text;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using XenoCrm.Core.Data;

namespace XenoCrm.Core.Idempotency;

/// <summary>An answer as it was first given, to give again: status, the headers a client acts on, and the body.</summary>
public sealed record StoredAnswer(int Status, string? Location, string? ContentType, byte[] Body);

/// <summary>What claiming a key found.</summary>
public abstract record IdempotencyClaim
{
    /// <summary>The key is this request's: run the operation, then <see cref="IdempotencyStore.CompleteAsync"/> or <see cref="IdempotencyStore.ReleaseAsync"/>.</summary>
    public sealed record Claimed(long Id) : IdempotencyClaim;

    /// <summary>The same request was answered already: give its answer again, without running anything.</summary>
    public sealed record Replay(StoredAnswer Answer) : IdempotencyClaim;

    /// <summary>The key was first used for a request with another method, path or body.</summary>
    public sealed record UsedForAnotherRequest : IdempotencyClaim;

    /// <summary>The first request with this key is still running.</summary>
    public sealed record InProgress : IdempotencyClaim;
}

/// <summary>
/// The one place <c>idempotency_keys</c> is written. A key is claimed by inserting its row under the unique
/// (scope, key) index, so of two concurrent requests with one key — on one Web instance or two — exactly one inserts
/// and runs; the other reads the row and replays, refuses or waits its turn. Expired rows are deleted on the way,
/// <see cref="PruneBatch"/> at a time, so the table holds about a retention's worth of creates.
/// </summary>
public sealed class IdempotencyStore(CrmDbContext db, IOptions<IdempotencyOptions> options, TimeProvider clock)
{
    /// <summary>Expired rows deleted per claim at most, so that a claim after a quiet week stays quick.</summary>
    public const int PruneBatch = 500;

    // Losing the insert race sends us back to read the winner's row; a third loss is no race but an error.
    private const int ClaimAttempts = 3;

    public async Task<IdempotencyClaim> ClaimAsync(string scope, string key, byte[] requestHash, CancellationToken ct)
    {
        await PruneAsync(ct);
        var keyHash = SHA256.HashData(Encoding.UTF8.GetBytes(key));
        for (var attempt = 1; ; attempt++)
        {
            var now = Now();
            var existing = await db.IdempotencyKeys.AsNoTracking().SingleOrDefaultAsync(r => r.Scope == scope && r.KeyHash == keyHash, ct);
            if (existing is null)
            {
                if (await TryInsertClaimAsync(scope, keyHash, requestHash, now, ct) is { } id)
                {
                    return new IdempotencyClaim.Claimed(id);
                }
                // A concurrent request with the same key inserted first: read its row.
                if (attempt >= ClaimAttempts)
                {
                    throw new InvalidOperationException($"The idempotency key of {scope} could be neither claimed nor read in {ClaimAttempts} attempts.");
                }
                continue;
            }
            if (existing.ExpiresAt <= now)
            {
                await db.IdempotencyKeys.Where(r => r.Id == existing.Id && r.ExpiresAt <= now).ExecuteDeleteAsync(ct);
                continue;
            }
            if (!CryptographicOperations.FixedTimeEquals(existing.RequestHash, requestHash))
            {
                return new IdempotencyClaim.UsedForAnotherRequest();
            }
            if (existing.CompletedAt is not null)
            {
                return new IdempotencyClaim.Replay(new StoredAnswer(
                    existing.ResponseStatus ?? 200, existing.ResponseLocation, existing.ResponseContentType, existing.ResponseBody ?? []));
            }
            if (existing.ClaimedAt > now - options.Value.AbandonedAfter)
            {
                return new IdempotencyClaim.InProgress();
            }
            // The claim's holder died before answering: take it over, unless another retry just did (same ClaimedAt fence).
            var takenOver = await db.IdempotencyKeys
                .Where(r => r.Id == existing.Id && r.CompletedAt == null && r.ClaimedAt == existing.ClaimedAt)
                .ExecuteUpdateAsync(s => s.SetProperty(r => r.ClaimedAt, now), ct);
            if (takenOver == 1)
            {
                return new IdempotencyClaim.Claimed(existing.Id);
            }
            if (attempt >= ClaimAttempts)
            {
                return new IdempotencyClaim.InProgress();
            }
        }
    }

    /// <summary>
    /// Inserts the claim unless a row with its (scope, key) exists, and returns its id, or null when another request
    /// claimed the key first. INSERT IGNORE / OR IGNORE rather than catching the unique violation: losing the race is
    /// expected, and EF Core logs every failed SaveChanges as an error. Every value is a parameter.
    /// </summary>
    private async Task<long?> TryInsertClaimAsync(string scope, byte[] keyHash, byte[] requestHash, DateTime now, CancellationToken ct)
    {
        var expiresAt = now + options.Value.Retention;
        var inserted = db.Provider == CrmDatabaseProvider.MySql
            ? await db.Database.ExecuteSqlAsync($"""
                INSERT IGNORE INTO idempotency_keys (scope, key_hash, request_hash, claimed_at, expires_at)
                VALUES ({scope}, {keyHash}, {requestHash}, {now}, {expiresAt})
                """, ct)
            : await db.Database.ExecuteSqlAsync($"""
                INSERT OR IGNORE INTO idempotency_keys (scope, key_hash, request_hash, claimed_at, expires_at)
                VALUES ({scope}, {keyHash}, {requestHash}, {now}, {expiresAt})
                """, ct);
        if (inserted == 0)
        {
            return null;
        }
        return await db.IdempotencyKeys.Where(r => r.Scope == scope && r.KeyHash == keyHash).Select(r => r.Id).SingleAsync(ct);
    }

    /// <summary>Keeps the answer of the claimed request for the key's retention.</summary>
    public Task CompleteAsync(long id, StoredAnswer answer, CancellationToken ct)
    {
        var now = Now();
        return db.IdempotencyKeys.Where(r => r.Id == id).ExecuteUpdateAsync(s => s
            .SetProperty(r => r.CompletedAt, now)
            .SetProperty(r => r.ResponseStatus, answer.Status)
            .SetProperty(r => r.ResponseLocation, answer.Location)
            .SetProperty(r => r.ResponseContentType, answer.ContentType)
            .SetProperty(r => r.ResponseBody, answer.Body), ct);
    }

    /// <summary>Gives the key up unanswered (the request failed in a way a retry may not): the next request with it runs.</summary>
    public Task ReleaseAsync(long id, CancellationToken ct) =>
        db.IdempotencyKeys.Where(r => r.Id == id && r.CompletedAt == null).ExecuteDeleteAsync(ct);

    /// <summary>Deletes keys past their retention, at most <see cref="PruneBatch"/> at a time.</summary>
    public async Task<int> PruneAsync(CancellationToken ct)
    {
        var now = Now();
        var ids = await db.IdempotencyKeys.AsNoTracking()
            .Where(r => r.ExpiresAt <= now)
            .OrderBy(r => r.ExpiresAt)
            .Select(r => r.Id)
            .Take(PruneBatch)
            .ToListAsync(ct);
        return ids.Count == 0 ? 0 : await db.IdempotencyKeys.Where(r => ids.Contains(r.Id)).ExecuteDeleteAsync(ct);
    }

    private DateTime Now() => clock.GetUtcNow().UtcDateTime;
}
