using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using XenoCrm.Core.Audit;
using XenoCrm.Core.Data;

namespace XenoCrm.Core.Sessions;

/// <summary>How long sessions last: <paramref name="AbsoluteLifetime"/> from sign-in whatever happens, and
/// <paramref name="IdleTimeout"/> without a request.</summary>
public sealed record SessionLimits(TimeSpan AbsoluteLifetime, TimeSpan IdleTimeout);

/// <summary>Who signs in, with the role the configuration gives them now, how (<c>google</c>, <c>development</c>) and from where.</summary>
public sealed record SessionStart(string Email, string Name, CrmRole Role, string? Method, string? RemoteAddress, string? UserAgent);

/// <summary>What a request's session check found: the session (with its current role), or why it was refused.</summary>
public sealed record SessionCheck(Session? Session, string? RefusedBecause)
{
    public bool IsValid => Session is not null;
}

/// <summary>
/// The one place sessions are started, checked, touched and revoked, for the cookie handler, the sign-out and the
/// sessions page alike, and so the one place their audit rows (sign-in, sign-out, revoked, role changed) are written. A session ends by its row: revoked, past its absolute lifetime, idle too long, or its person
/// no longer on the allow-list; every request checks the row, so an end takes effect on the next request on every
/// instance.
/// </summary>
public sealed class SessionStore(CrmDbContext db, AuditTrail audit, TimeProvider clock, ILogger<SessionStore> logger)
{
    /// <summary>How often <see cref="Session.LastSeenAt"/> is written: a request is a read, not a write.</summary>
    public static readonly TimeSpan TouchResolution = TimeSpan.FromMinutes(1);

    /// <summary>Ended sessions stay this long, so that a late request with their cookie is refused as what it is.</summary>
    public static readonly TimeSpan EndedRetention = TimeSpan.FromDays(1);

    /// <summary>Rows deleted per sign-in at most, so that a sign-in after a long pause stays quick.</summary>
    public const int PruneBatch = 500;

    public sealed record ActiveSession(
        long Id, string Label, string Email, string Name, string Role, DateTime CreatedAt, DateTime LastSeenAt, DateTime ExpiresAt,
        string? RemoteAddress, string? UserAgent);

    /// <returns>The token for the cookie: it is nowhere else (the row keeps its hash).</returns>
    public async Task<(string Token, Session Row)> StartAsync(SessionStart start, SessionLimits limits, CancellationToken ct)
    {
        await PruneAsync(limits, ct);
        var token = Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(32));
        var now = Now();
        var row = new Session
        {
            TokenHash = HashOf(token),
            Email = start.Email,
            Name = Bounded(start.Name, Session.NameMaxLength) ?? start.Email,
            Role = start.Role.Name(),
            CreatedAt = now,
            LastSeenAt = now,
            ExpiresAt = now + limits.AbsoluteLifetime,
            RemoteAddress = Bounded(start.RemoteAddress, Session.RemoteAddressMaxLength),
            UserAgent = Bounded(start.UserAgent, Session.UserAgentMaxLength),
        };
        db.Sessions.Add(row);
        // Saved with the session row, in one SaveChanges.
        await audit.RecordAsync(db, new AuditEntry(new AuditActor(row.Email, row.RemoteAddress), AuditActions.SignIn,
            Details: start.Method is null ? null : AuditActions.SignedInWith(start.Method)), ct);
        SessionEvents.Started(logger, row.Email, row.Label, row.Role, row.RemoteAddress);
        return (token, row);
    }

    /// <summary>
    /// The check every request with a session cookie makes: one indexed read, and a write only when the session ends
    /// here, its role changed, or its last-seen time is older than <see cref="TouchResolution"/>.
    /// </summary>
    /// <param name="currentRole">The role the configuration gives an email now, or null when it may no longer sign in.</param>
    public async Task<SessionCheck> CheckAsync(string token, SessionLimits limits, Func<string, CrmRole?> currentRole, CancellationToken ct)
    {
        var hash = HashOf(token);
        var row = await db.Sessions.AsNoTracking().SingleOrDefaultAsync(s => s.TokenHash == hash, ct);
        if (row is null)
        {
            return Refuse(SessionEvents.Reasons.Unknown);
        }
        if (row.RevokedAt is not null)
        {
            return Refuse(SessionEvents.Reasons.Revoked);
        }
        var now = Now();
        var ended = now >= row.ExpiresAt ? SessionEvents.Reasons.AbsoluteLifetime
            : now - row.LastSeenAt >= limits.IdleTimeout ? SessionEvents.Reasons.Idle
            : null;
        var role = ended is null ? currentRole(row.Email) : null;
        if (ended is null && role is null)
        {
            ended = SessionEvents.Reasons.NotAllowed;
        }
        if (ended is not null)
        {
            if (await RevokeWhereAsync(db.Sessions.Where(s => s.Id == row.Id), SessionEvents.System, ended, ct) == 1)
            {
                SessionEvents.Expired(logger, row.Email, row.Label, ended);
            }
            return Refuse(ended);
        }

        var roleName = role!.Value.Name();
        if (roleName != row.Role)
        {
            var previousRole = row.Role;
            SessionEvents.RoleChanged(logger, row.Email, row.Label, row.Role, roleName);
            row.Role = roleName;
            row.LastSeenAt = now;
            await db.Sessions.Where(s => s.Id == row.Id)
                .ExecuteUpdateAsync(s => s.SetProperty(x => x.Role, roleName).SetProperty(x => x.LastSeenAt, now), ct);
            // The configuration changed the role; the request that noticed is the person's, but nobody there did it.
            await audit.RecordAsync(db, new AuditEntry(AuditActor.System, AuditActions.RoleChanged, AuditTargets.Session,
                row.Label, row.Email, $"{previousRole} → {roleName}"), ct);
        }
        else if (now - row.LastSeenAt >= TouchResolution)
        {
            row.LastSeenAt = now;
            await db.Sessions.Where(s => s.Id == row.Id).ExecuteUpdateAsync(s => s.SetProperty(x => x.LastSeenAt, now), ct);
        }
        return new SessionCheck(row, null);
    }

    /// <summary>Sign-out: the session's row is revoked, so a copy of the cookie opens nothing afterwards.</summary>
    /// <param name="by">The person signing out, from where.</param>
    public async Task SignOutAsync(string token, AuditActor by, CancellationToken ct)
    {
        var hash = HashOf(token);
        var row = await db.Sessions.AsNoTracking().Where(s => s.TokenHash == hash && s.RevokedAt == null).SingleOrDefaultAsync(ct);
        if (row is not null && await RevokeWhereAsync(db.Sessions.Where(s => s.Id == row.Id), row.Email, SessionEvents.Reasons.SignedOut, ct) == 1)
        {
            SessionEvents.Revoked(logger, row.Email, row.Label, row.Email, SessionEvents.Reasons.SignedOut);
            await audit.RecordAsync(db, new AuditEntry(by, AuditActions.SignOut), ct);
        }
    }

    /// <summary>Revokes one session. <paramref name="onlyOf"/>, when given, limits it to that person's own sessions.</summary>
    /// <returns>The session revoked, or null when no unrevoked session has this id (or it is not <paramref name="onlyOf"/>'s).</returns>
    public async Task<ActiveSession?> RevokeAsync(long id, AuditActor revokedBy, string? onlyOf, CancellationToken ct)
    {
        var session = (await SummariesAsync(db.Sessions.Where(s => s.Id == id && s.RevokedAt == null), ct)).SingleOrDefault();
        if (session is null || onlyOf is not null && !string.Equals(session.Email, onlyOf, StringComparison.OrdinalIgnoreCase))
        {
            return null;
        }
        var reason = onlyOf is null ? SessionEvents.Reasons.RevokedByAdmin : SessionEvents.Reasons.RevokedByOwner;
        if (await RevokeWhereAsync(db.Sessions.Where(s => s.Id == id), revokedBy.Name, reason, ct) == 0)
        {
            return null;
        }
        SessionEvents.Revoked(logger, session.Email, session.Label, revokedBy.Name, reason);
        await RecordRevokedAsync(session, revokedBy, reason, ct);
        return session;
    }

    /// <summary>Revokes every session of <paramref name="email"/> that is not revoked yet.</summary>
    /// <returns>How many were revoked.</returns>
    public async Task<int> RevokeAllOfAsync(string email, AuditActor revokedBy, CancellationToken ct)
    {
        var revoked = 0;
        foreach (var session in await SummariesAsync(db.Sessions.Where(s => s.Email == email && s.RevokedAt == null), ct))
        {
            if (await RevokeWhereAsync(db.Sessions.Where(s => s.Id == session.Id), revokedBy.Name, SessionEvents.Reasons.RevokedByAdmin, ct) == 1)
            {
                SessionEvents.Revoked(logger, session.Email, session.Label, revokedBy.Name, SessionEvents.Reasons.RevokedByAdmin);
                await RecordRevokedAsync(session, revokedBy, SessionEvents.Reasons.RevokedByAdmin, ct);
                revoked++;
            }
        }
        return revoked;
    }

    /// <summary>Sessions that still work: not revoked, not past their lifetime, not idle too long; latest activity first.</summary>
    /// <param name="email">Only this person's, or everyone's when null.</param>
    public Task<IReadOnlyList<ActiveSession>> ListActiveAsync(string? email, SessionLimits limits, CancellationToken ct)
    {
        var now = Now();
        var idleSince = now - limits.IdleTimeout;
        var active = db.Sessions.Where(s => s.RevokedAt == null && s.ExpiresAt > now && s.LastSeenAt > idleSince);
        return SummariesAsync(email is null ? active : active.Where(s => s.Email == email), ct);
    }

    private static async Task<IReadOnlyList<ActiveSession>> SummariesAsync(IQueryable<Session> sessions, CancellationToken ct)
    {
        // Bounded: a page of sessions, not a dump of the table.
        var rows = await sessions.AsNoTracking()
            .OrderByDescending(s => s.LastSeenAt).ThenByDescending(s => s.Id)
            .Take(1000)
            .ToListAsync(ct);
        return rows.Select(s => new ActiveSession(s.Id, s.Label, s.Email, s.Name, s.Role, s.CreatedAt, s.LastSeenAt, s.ExpiresAt, s.RemoteAddress, s.UserAgent))
            .ToList();
    }

    /// <summary>Deletes sessions that ended more than <see cref="EndedRetention"/> ago, at most <see cref="PruneBatch"/> at a time.</summary>
    public async Task<int> PruneAsync(SessionLimits limits, CancellationToken ct)
    {
        var before = Now() - EndedRetention;
        var idleBefore = before - limits.IdleTimeout;
        var ids = await db.Sessions.AsNoTracking()
            .Where(s => s.RevokedAt < before || s.ExpiresAt < before || s.LastSeenAt < idleBefore)
            .OrderBy(s => s.Id)
            .Select(s => s.Id)
            .Take(PruneBatch)
            .ToListAsync(ct);
        return ids.Count == 0 ? 0 : await db.Sessions.Where(s => ids.Contains(s.Id)).ExecuteDeleteAsync(ct);
    }

    private Task RecordRevokedAsync(ActiveSession session, AuditActor revokedBy, string reason, CancellationToken ct) =>
        audit.RecordAsync(db, new AuditEntry(revokedBy, AuditActions.SessionRevoked, AuditTargets.Session,
            session.Label, session.Email, $"{reason}; signed in from {session.RemoteAddress ?? "an unknown address"}"), ct);

    public static byte[] HashOf(string token) => SHA256.HashData(Encoding.UTF8.GetBytes(token));

    private Task<int> RevokeWhereAsync(IQueryable<Session> sessions, string revokedBy, string reason, CancellationToken ct)
    {
        var now = Now();
        var by = Bounded(revokedBy, Session.RevokedByMaxLength);
        return sessions.Where(s => s.RevokedAt == null).ExecuteUpdateAsync(s => s
            .SetProperty(x => x.RevokedAt, now)
            .SetProperty(x => x.RevokedBy, by)
            .SetProperty(x => x.RevokeReason, reason), ct);
    }

    private SessionCheck Refuse(string reason)
    {
        SessionEvents.Refused(logger, reason);
        return new SessionCheck(null, reason);
    }

    private DateTime Now() => clock.GetUtcNow().UtcDateTime;

    private static string? Bounded(string? value, int maxLength) =>
        string.IsNullOrWhiteSpace(value) ? null : value.Length <= maxLength ? value : value[..maxLength];
}
