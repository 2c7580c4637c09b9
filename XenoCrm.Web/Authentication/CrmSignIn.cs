using System.Security.Claims;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;

namespace XenoCrm.Web.Authentication;

/// <summary>
/// The one place a signed-in user's identity is built, whichever way they proved their email. Signing it in starts a
/// server-side session (<see cref="SessionCookieEvents"/>): the cookie then carries that session's token, and the
/// role and the rest are read from the session and the configuration at every request.
/// </summary>
public static class CrmSignIn
{
    /// <summary>The random token of the session (<see cref="Core.Sessions.SessionStore"/>): all the cookie is trusted for.</summary>
    public const string SessionTokenClaim = "xenocrm:session";

    /// <summary>The session's row id, so that the sessions page can mark "this session"; never trusted for access.</summary>
    public const string SessionIdClaim = "xenocrm:session-id";

    /// <summary>Who proved their email, and how: the sign-in that <see cref="SessionCookieEvents.SigningIn"/> turns into a session.</summary>
    public static ClaimsPrincipal Principal(string email, string? name, string method)
    {
        var normalized = email.Trim().ToLowerInvariant();
        var claims = new List<Claim>
        {
            new(ClaimTypes.NameIdentifier, normalized),
            new(ClaimTypes.Email, normalized),
            new(ClaimTypes.Name, string.IsNullOrWhiteSpace(name) ? normalized : name.Trim()),
            new(ClaimTypes.AuthenticationMethod, method),
        };
        return new ClaimsPrincipal(new ClaimsIdentity(claims, CookieAuthenticationDefaults.AuthenticationScheme));
    }

    public static Task SignInAsync(HttpContext http, ClaimsPrincipal principal) =>
        http.SignInAsync(CookieAuthenticationDefaults.AuthenticationScheme, principal);

    /// <summary>Ends the session for good (its row is revoked, see <see cref="SessionCookieEvents.SigningOut"/>) and deletes the cookie.</summary>
    public static Task SignOutAsync(HttpContext http) =>
        http.SignOutAsync(CookieAuthenticationDefaults.AuthenticationScheme);

    /// <summary>The role the request's session has now, as the sessions page and the layout show it.</summary>
    public static string? Role(this ClaimsPrincipal user) => user.FindFirstValue(ClaimTypes.Role);

    /// <summary>Whether the person may write, send and export (<see cref="AuthPolicies.Marketer"/>): pages hide what they cannot use.</summary>
    public static bool CanWrite(this ClaimsPrincipal user) =>
        user.IsInRole(Core.Sessions.CrmRoles.Admin) || user.IsInRole(Core.Sessions.CrmRoles.Marketer);
}
