using Microsoft.Extensions.Logging;

namespace XenoCrm.Core.Sessions;

/// <summary>
/// Every structured log event of a session's life, in one place, so that they can be forwarded elsewhere (an audit log)
/// from here. A session appears by its <see cref="Session.Label"/> (the start of its token's hash), never by its token.
/// </summary>
public static partial class SessionEvents
{
    /// <summary>Why a session ended or was refused, as the log and the <c>sessions.revoke_reason</c> column say it.</summary>
    public static class Reasons
    {
        public const string SignedOut = "signed-out";
        public const string RevokedByAdmin = "revoked-by-admin";
        public const string RevokedByOwner = "revoked-by-owner";
        public const string AbsoluteLifetime = "absolute-lifetime-passed";
        public const string Idle = "idle-timeout";
        public const string NotAllowed = "no-longer-allowed";
        public const string Unknown = "unknown-session";
        public const string Revoked = "revoked";
    }

    /// <summary>Who ends sessions that nobody ended by hand (expiry, removal from the allow-list).</summary>
    public const string System = "system";

    [LoggerMessage(EventId = 7001, EventName = "SessionStarted", Level = LogLevel.Information,
        Message = "Session {Session} started for {Person} as {Role} from {RemoteAddress}")]
    public static partial void Started(ILogger logger, string person, string session, string role, string? remoteAddress);

    [LoggerMessage(EventId = 7002, EventName = "SessionRevoked", Level = LogLevel.Information,
        Message = "Session {Session} of {Person} revoked by {RevokedBy}: {Reason}")]
    public static partial void Revoked(ILogger logger, string person, string session, string revokedBy, string reason);

    [LoggerMessage(EventId = 7003, EventName = "SessionExpired", Level = LogLevel.Information,
        Message = "Session {Session} of {Person} ended: {Reason}")]
    public static partial void Expired(ILogger logger, string person, string session, string reason);

    [LoggerMessage(EventId = 7004, EventName = "SessionRoleChanged", Level = LogLevel.Warning,
        Message = "Session {Session} of {Person} changed role from {PreviousRole} to {Role}: the configuration changed")]
    public static partial void RoleChanged(ILogger logger, string person, string session, string previousRole, string role);

    [LoggerMessage(EventId = 7005, EventName = "SessionRefused", Level = LogLevel.Information,
        Message = "A request's session cookie was refused: {Reason}")]
    public static partial void Refused(ILogger logger, string reason);
}
