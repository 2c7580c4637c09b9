using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.Extensions.Options;
using XenoCrm.Core.Sessions;
using XenoCrm.Web.Audit;
using XenoCrm.Web.Authentication;

namespace XenoCrm.Web.Pages.Settings.Sessions;

/// <summary>
/// Active sessions and their revocation. Admins see and revoke everyone's; everyone else sees and revokes their own
/// (a phone left signed in, say), which is why any role may post here and each handler checks whose session it is.
/// </summary>
[AnyRoleMayPost]
public sealed class IndexModel(SessionStore sessions, IOptions<AuthOptions> options) : PageModel
{
    public IReadOnlyList<SessionStore.ActiveSession> Sessions { get; private set; } = [];

    public SessionLimits Limits => options.Value.SessionLimits;

    public bool IsAdmin => User.IsInRole(CrmRoles.Admin);

    public long? CurrentSessionId => long.TryParse(User.FindFirst(CrmSignIn.SessionIdClaim)?.Value, out var id) ? id : null;

    public async Task OnGetAsync(CancellationToken ct) =>
        Sessions = await sessions.ListActiveAsync(IsAdmin ? null : User.Author(), options.Value.SessionLimits, ct);

    public async Task<IActionResult> OnPostRevokeAsync(long id, CancellationToken ct)
    {
        var revoked = await sessions.RevokeAsync(id, HttpContext.AuditActor(), onlyOf: IsAdmin ? null : User.Author(), ct);
        if (revoked is null)
        {
            TempData.Failure("That session has ended already.");
        }
        else
        {
            TempData.Success($"Revoked the session of {revoked.Email} from {revoked.RemoteAddress ?? "an unknown address"}: its next request goes to the sign-in page.");
        }
        return id == CurrentSessionId ? Redirect("/account/signin") : RedirectToPage();
    }

    /// <summary>Every session of one person: for someone who left, or whose device was lost. Admins only.</summary>
    [RequiresPolicy(AuthPolicies.Admin)]
    public async Task<IActionResult> OnPostRevokeAllAsync(string email, CancellationToken ct)
    {
        if (string.IsNullOrWhiteSpace(email) || email.Length > Session.EmailMaxLength)
        {
            TempData.Failure("Say whose sessions to revoke.");
            return RedirectToPage();
        }
        var count = await sessions.RevokeAllOfAsync(email.Trim().ToLowerInvariant(), HttpContext.AuditActor(), ct);
        TempData.Success(count == 0 ? $"{email} had no active session." : $"Revoked {count} session(s) of {email}.");
        return RedirectToPage();
    }
}
