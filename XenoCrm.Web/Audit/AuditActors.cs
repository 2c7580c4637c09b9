using System.Security.Claims;
using XenoCrm.Core.Audit;
using XenoCrm.Web.Authentication;

namespace XenoCrm.Web.Audit;

/// <summary>Who is asking, for the audit log, as the request shows it: the one way the pages and the API build an <see cref="AuditActor"/>.</summary>
public static class AuditActors
{
    /// <summary>
    /// The signed-in person (their email), or the API key that authenticated the call (<c>api-key:&lt;prefix&gt;</c>),
    /// from the connection's address. Behind a trusted proxy that is the forwarded client's address, once the
    /// forwarded-headers middleware has run.
    /// </summary>
    public static AuditActor AuditActor(this HttpContext http) => Of(http, http.User);

    /// <summary>Whoever <paramref name="user"/> is (the principal a sign-in is issuing, say), from this request's address.</summary>
    public static AuditActor Of(HttpContext http, ClaimsPrincipal? user)
    {
        ArgumentNullException.ThrowIfNull(http);
        var address = http.Connection.RemoteIpAddress;
        if (user?.FindFirstValue(ApiKeyAuthentication.PrefixClaim) is { } prefix)
        {
            return Core.Audit.AuditActor.ApiKey(prefix, address);
        }
        if (user?.FindFirstValue(ClaimTypes.Email) is { } email)
        {
            return Core.Audit.AuditActor.Person(email, address);
        }
        return new(Authors.Unknown, Core.Audit.AuditActor.Text(address));
    }

    /// <summary>Someone who is not signed in and said they are <paramref name="email"/> (a refused sign-in).</summary>
    public static AuditActor Claiming(HttpContext http, string? email)
    {
        ArgumentNullException.ThrowIfNull(http);
        return string.IsNullOrWhiteSpace(email)
            ? new(Authors.Unknown, Core.Audit.AuditActor.Text(http.Connection.RemoteIpAddress))
            : Core.Audit.AuditActor.Person(email, http.Connection.RemoteIpAddress);
    }
}
