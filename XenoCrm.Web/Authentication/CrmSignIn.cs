using System.Security.Claims;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;

namespace XenoCrm.Web.Authentication;

/// <summary>The one place a signed-in user's identity is built, whichever way they proved their email.</summary>
public static class CrmSignIn
{
    public static ClaimsPrincipal Principal(string email, string? name, AuthOptions options, string method)
    {
        var normalized = email.Trim().ToLowerInvariant();
        var claims = new List<Claim>
        {
            new(ClaimTypes.NameIdentifier, normalized),
            new(ClaimTypes.Email, normalized),
            new(ClaimTypes.Name, string.IsNullOrWhiteSpace(name) ? normalized : name.Trim()),
            new(ClaimTypes.AuthenticationMethod, method),
        };
        if (options.IsAdmin(normalized))
        {
            claims.Add(new Claim(ClaimTypes.Role, AuthPolicies.AdminRole));
        }
        return new ClaimsPrincipal(new ClaimsIdentity(claims, CookieAuthenticationDefaults.AuthenticationScheme));
    }

    public static Task SignInAsync(HttpContext http, ClaimsPrincipal principal) =>
        http.SignInAsync(CookieAuthenticationDefaults.AuthenticationScheme, principal);
}
