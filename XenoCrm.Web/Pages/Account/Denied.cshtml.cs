using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc.RazorPages;
using XenoCrm.Web.Authentication;

namespace XenoCrm.Web.Pages.Account;

[AllowAnonymous]
public sealed class DeniedModel : PageModel
{
    public string Message { get; private set; } = "";

    public void OnGet(string? reason)
    {
        Response.StatusCode = StatusCodes.Status403Forbidden;
        Message = reason switch
        {
            DeniedReason.NotAllowed => "This email address is not on this XenoCrm's allow-list. Ask an administrator to add you or your domain.",
            DeniedReason.Unverified => "Google has not verified this account's email address, so it cannot be used to sign in.",
            DeniedReason.Failed => "The sign-in did not complete. Please try again.",
            _ => User.Identity?.IsAuthenticated == true
                ? $"This is not for your role ({User.Role() ?? "none"}): some pages and actions are for marketers or administrators only. Ask an administrator if you need it."
                : "You are not allowed here.",
        };
    }
}
