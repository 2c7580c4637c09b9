using Microsoft.AspNetCore.Authorization;
using System.ComponentModel.DataAnnotations;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Google;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.Extensions.Options;
using XenoCrm.Core.Audit;
using XenoCrm.Core.Data;
using XenoCrm.Web.Audit;
using XenoCrm.Web.Authentication;

namespace XenoCrm.Web.Pages.Account;

[AllowAnonymous]
[AnyRoleMayPost]
public sealed class SignInModel(IOptions<AuthOptions> options, FailedAuthenticationThrottle throttle, AuditTrail audit, CrmDbContext db) : PageModel
{
    public AuthOptions Auth => options.Value;

    [BindProperty(SupportsGet = true)]
    public string? ReturnUrl { get; set; }

    [BindProperty]
    [Required, EmailAddress, StringLength(254)]
    [Display(Name = "Email")]
    public string Email { get; set; } = "";

    public void OnGet()
    {
        if (Auth.OffersDemoAccounts)
        {
            Email = AuthOptions.EmbeddedDemoAdmin;
        }
    }

    /// <summary>A plain link starts the Google flow, so no form ever posts to Google's domain.</summary>
    public IActionResult OnGetGoogle() => Auth.HasGoogle
        ? Challenge(new AuthenticationProperties { RedirectUri = SafeReturnUrl() }, GoogleDefaults.AuthenticationScheme)
        : NotFound();

    public async Task<IActionResult> OnPostAsync()
    {
        if (!Auth.DevelopmentSignIn)
        {
            return NotFound();
        }
        // Before anything is tried, so that an address held back learns nothing, not even whether an email is allowed.
        if (throttle.IsThrottled(HttpContext, out var retryAfter, out var firstRefusal))
        {
            if (firstRefusal)
            {
                // Once per address and window, as the log says it: a row per refused attempt would hand a flood the database.
                await audit.RecordAsync(db, new AuditEntry(AuditActors.Claiming(HttpContext, null), AuditActions.SignInDenied,
                    Details: AuditActions.SignedInWith("development"), Outcome: AuditOutcomes.Throttled), CancellationToken.None);
            }
            await FailedAuthenticationThrottle.WriteTooManyAttemptsAsync(HttpContext, retryAfter);
            return new EmptyResult();
        }
        if (!ModelState.IsValid)
        {
            return Page();
        }
        if (!Auth.IsAllowed(Email.Trim()))
        {
            throttle.RecordFailure(HttpContext, AuthenticationAttempt.SignIn);
            // Bounded by the throttle: an address gets a few refusals a window before it is held back.
            await audit.RecordAsync(db, new AuditEntry(AuditActors.Claiming(HttpContext, Email), AuditActions.SignInDenied,
                Details: AuditActions.SignedInWith("development"), Outcome: AuditOutcomes.NotAllowed), CancellationToken.None);
            return RedirectToPage("/Account/Denied", new { reason = DeniedReason.NotAllowed });
        }
        await CrmSignIn.SignInAsync(HttpContext, CrmSignIn.Principal(Email, name: null, "development"));
        return LocalRedirect(SafeReturnUrl());
    }

    private string SafeReturnUrl() => ReturnUrl is { } url && Url.IsLocalUrl(url) ? url : "/";
}
