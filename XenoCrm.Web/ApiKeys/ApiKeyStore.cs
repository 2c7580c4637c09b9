using System.Globalization;
using Microsoft.EntityFrameworkCore;
using XenoCrm.Core.ApiKeys;
using XenoCrm.Core.Audit;
using XenoCrm.Core.Data;

namespace XenoCrm.Web.ApiKeys;

/// <summary>
/// Creates, lists and revokes API keys: the one way to do it, for the settings page and the
/// <c>api-keys</c> command alike. Only the key's hash is stored; the key itself is returned once. Creating and revoking
/// are recorded in the audit log in the same transaction, the key named by its public prefix only.
/// </summary>
public sealed class ApiKeyStore(CrmDbContext db, AuditTrail audit, TimeProvider clock)
{
    public const int NameMaxLength = 100;

    /// <summary>How long a revoked key keeps working: <see cref="Authentication.ApiKeyValidator"/> caches answers this long.</summary>
    public static readonly TimeSpan RevocationDelay = TimeSpan.FromSeconds(30);

    public sealed record ApiKeySummary(
        long Id, string Name, string Prefix, string CreatedBy, DateTime CreatedAt, DateTime? LastUsedAt, DateTime? RevokedAt)
    {
        public bool IsRevoked => RevokedAt is not null;
    }

    /// <summary>A key made without a request to take an address from (tests, tools): recorded as made by <paramref name="createdBy"/>.</summary>
    public Task<(ApiKey Row, string Key)> CreateAsync(string name, string createdBy, CancellationToken ct) =>
        CreateAsync(name, new AuditActor(createdBy, null), ct);

    /// <returns>The stored row and the plaintext key, which is nowhere else and must be shown to its owner now.</returns>
    public async Task<(ApiKey Row, string Key)> CreateAsync(string name, AuditActor by, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(by);
        name = name.Trim();
        if (name.Length is 0 or > NameMaxLength)
        {
            throw new ArgumentException($"A key's name must have 1 to {NameMaxLength} characters.", nameof(name));
        }
        ArgumentException.ThrowIfNullOrWhiteSpace(by.Name);
        var (key, prefix, hash) = ApiKeySecret.Generate();
        var row = new ApiKey { Name = name, Prefix = prefix, Hash = hash, CreatedBy = by.Name, CreatedAt = clock.GetUtcNow().UtcDateTime };
        // The audit row names the key by its id, which the insert gives it: two saves, one transaction.
        await using var transaction = await db.Database.BeginTransactionAsync(ct);
        db.ApiKeys.Add(row);
        await db.SaveChangesAsync(ct);
        await audit.RecordAsync(db, Audited(by, AuditActions.ApiKeyCreated, row.Id, row.Name, row.Prefix), ct);
        await transaction.CommitAsync(ct);
        return (row, key);
    }

    /// <summary>Every key, active ones first, newest first.</summary>
    public async Task<IReadOnlyList<ApiKeySummary>> ListAsync(CancellationToken ct) =>
        await db.ApiKeys.AsNoTracking()
            .OrderBy(k => k.RevokedAt != null).ThenByDescending(k => k.Id)
            .Select(k => new ApiKeySummary(k.Id, k.Name, k.Prefix, k.CreatedBy, k.CreatedAt, k.LastUsedAt, k.RevokedAt))
            .ToListAsync(ct);

    public Task<ApiKeySummary?> FindAsync(long id, CancellationToken ct) =>
        db.ApiKeys.AsNoTracking()
            .Where(k => k.Id == id)
            .Select(k => new ApiKeySummary(k.Id, k.Name, k.Prefix, k.CreatedBy, k.CreatedAt, k.LastUsedAt, k.RevokedAt))
            .SingleOrDefaultAsync(ct);

    /// <returns>False when no active key has this id.</returns>
    public async Task<bool> RevokeAsync(long id, AuditActor by, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(by);
        var now = clock.GetUtcNow().UtcDateTime;
        await using var transaction = await db.Database.BeginTransactionAsync(ct);
        if (await db.ApiKeys.Where(k => k.Id == id && k.RevokedAt == null).ExecuteUpdateAsync(s => s.SetProperty(k => k.RevokedAt, now), ct) != 1)
        {
            await transaction.RollbackAsync(ct);
            return false;
        }
        var key = await db.ApiKeys.AsNoTracking().Where(k => k.Id == id).Select(k => new { k.Name, k.Prefix }).SingleAsync(ct);
        await audit.RecordAsync(db, Audited(by, AuditActions.ApiKeyRevoked, id, key.Name, key.Prefix), ct);
        await transaction.CommitAsync(ct);
        return true;
    }

    private static AuditEntry Audited(AuditActor by, string action, long id, string name, string prefix) =>
        new(by, action, AuditTargets.ApiKey, id.ToString(CultureInfo.InvariantCulture), $"{name} (xcrm_{prefix}_…)");
}
