using System.Security.Claims;

namespace XenoCrm.Web.Authentication;

/// <summary>
/// Who a change is recorded as. A person (Google or development sign-in) is their email: unique, where
/// <see cref="ClaimsIdentity.Name"/> is the display name ("Asha Rao"). An API key has no email, and is its
/// name, which is what an admin sees on Settings → API keys.
/// </summary>
public static class Authors
{
    public const string Unknown = "unknown";

    public static string Author(this ClaimsPrincipal user) =>
        user.FindFirstValue(ClaimTypes.Email) ?? user.Identity?.Name ?? Unknown;
}
