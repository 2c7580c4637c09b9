using System.Security.Claims;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.Extensions.Options;
using XenoCrm.Core.Sessions;
using XenoCrm.Web.Audit;

namespace XenoCrm.Web.Authentication;

/// <summary>
/// Ties the session cookie to a row of the <c>sessions</c> table (<see cref="SessionStore"/>).
/// <para>
/// The cookie handler's <c>OnSigningIn</c>, <c>OnValidatePrincipal</c> and <c>OnSigningOut</c> (set in
/// <see cref="CrmAuthenticationExtensions"/>). Why these events rather than an <see cref="ITicketStore"/>: the cookie
/// handler's ticket store is asked for the ticket only by key and renews it on its own schedule, so the checks every request needs (revoked, absolute lifetime, idle,
/// still on the allow-list, the role as the configuration says now) would sit beside it anyway. Here the cookie stays
/// the data-protected ticket it was, the ticket names the session by its random token, and
/// <see cref="ValidatePrincipal"/> rebuilds who the person is from the row and the current configuration on every
/// request: nothing else in the cookie is trusted, so an old copy of a cookie can carry no more than its session.
/// </para>
/// <para>
/// There is no cache: each request is one read by a unique index (and a write at most once a minute), so a revocation
/// takes effect on the very next request on every instance.
/// </para>
/// </summary>
public sealed class SessionCookieEvents(IOptions<AuthOptions> options, SessionStore sessions)
{
    /// <summary>Every sign-in into the cookie (Google or the development sign-in) starts a session and puts its token in the cookie.</summary>
    public async Task SigningIn(CookieSigningInContext context)
    {
        var signingIn = context.Principal ?? throw new InvalidOperationException("Signing in without a principal.");
        var email = signingIn.FindFirstValue(ClaimTypes.Email) ?? throw new InvalidOperationException("Signing in without an email.");
        var auth = options.Value;
        // The sign-in pages admitted this email a moment ago; a race with a configuration change is refused, not guessed.
        var role = auth.CurrentRoleOf(email) ?? throw new InvalidOperationException($"{email} is not on the allow-list.");
        var http = context.HttpContext;
        var (token, row) = await sessions.StartAsync(
            new SessionStart(email, signingIn.FindFirstValue(ClaimTypes.Name) ?? email, role, signingIn.FindFirstValue(ClaimTypes.AuthenticationMethod),
                http.Connection.RemoteIpAddress?.ToString(), http.Request.Headers.UserAgent.ToString()),
            auth.SessionLimits, http.RequestAborted);
        context.Principal = PrincipalOf(row, token, signingIn.FindFirstValue(ClaimTypes.AuthenticationMethod));
    }

    public async Task ValidatePrincipal(CookieValidatePrincipalContext context)
    {
        var token = context.Principal?.FindFirstValue(CrmSignIn.SessionTokenClaim);
        var check = token is null
            ? new SessionCheck(null, SessionEvents.Reasons.Unknown)
            : await sessions.CheckAsync(token, options.Value.SessionLimits, options.Value.CurrentRoleOf, context.HttpContext.RequestAborted);
        if (!check.IsValid)
        {
            context.RejectPrincipal();
            // Deletes the cookie, so the browser stops presenting a session that is over.
            await context.HttpContext.SignOutAsync(CookieAuthenticationDefaults.AuthenticationScheme);
            return;
        }
        context.ReplacePrincipal(PrincipalOf(check.Session!, token!, context.Principal!.FindFirstValue(ClaimTypes.AuthenticationMethod)));
    }

    /// <summary>Every sign-out revokes the session's row, so a copy of the cookie taken before it opens nothing after it.</summary>
    public async Task SigningOut(CookieSigningOutContext context)
    {
        if (context.HttpContext.User.FindFirstValue(CrmSignIn.SessionTokenClaim) is { } token)
        {
            // Not cancelled with the request: a browser closed mid sign-out still ends the session, and the audit says so.
            await sessions.SignOutAsync(token, context.HttpContext.AuditActor(), CancellationToken.None);
        }
    }

    private static ClaimsPrincipal PrincipalOf(Session session, string token, string? method)
    {
        var claims = new List<Claim>
        {
            new(CrmSignIn.SessionTokenClaim, token),
            new(CrmSignIn.SessionIdClaim, session.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)),
            new(ClaimTypes.NameIdentifier, session.Email),
            new(ClaimTypes.Email, session.Email),
            new(ClaimTypes.Name, session.Name),
            new(ClaimTypes.Role, session.Role),
        };
        if (method is not null)
        {
            claims.Add(new Claim(ClaimTypes.AuthenticationMethod, method));
        }
        return new ClaimsPrincipal(new ClaimsIdentity(claims, CookieAuthenticationDefaults.AuthenticationScheme));
    }
}
