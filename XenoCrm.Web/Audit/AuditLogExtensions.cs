using System.Security.Claims;
using System.Text.Json;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Authentication.Google;
using XenoCrm.Core.Audit;
using XenoCrm.Core.Data;
using XenoCrm.Web.Authentication;

namespace XenoCrm.Web.Audit;

public static class AuditLogExtensions
{
    /// <summary>
    /// Records sign-ins and sign-outs (the session cookie's events, whichever way the person proved their email) and
    /// Google sign-ins refused for an address not allowed or not verified. The other events are recorded where they
    /// happen: the development sign-in's refusals on its page, API keys in <c>ApiKeyStore</c>, dead letters in
    /// <c>DeadLetterReplayer</c>, exports on their page, campaigns in <c>CampaignLifecycle</c>.
    /// </summary>
    /// <remarks>
    /// The events are wrapped after every other configuration (<c>PostConfigure</c>), so that whatever the sign-in's
    /// own configuration puts in them still runs. Nothing in the database changes at a sign-in or a sign-out, so the row
    /// is written right after it, and not cancelled with the request: a person who closes the tab is still recorded.
    /// </remarks>
    public static IHostApplicationBuilder AddAuditLog(this IHostApplicationBuilder builder)
    {
        builder.Services.PostConfigure<CookieAuthenticationOptions>(CookieAuthenticationDefaults.AuthenticationScheme, cookie =>
        {
            var signedIn = cookie.Events.OnSignedIn;
            cookie.Events.OnSignedIn = async context =>
            {
                await signedIn(context);
                var method = context.Principal?.FindFirstValue(ClaimTypes.AuthenticationMethod);
                await RecordAsync(context.HttpContext, new AuditEntry(
                    AuditActors.Of(context.HttpContext, context.Principal), AuditActions.SignIn, Details: method is null ? null : With(method)));
            };
            var signingOut = cookie.Events.OnSigningOut;
            cookie.Events.OnSigningOut = async context =>
            {
                if (context.HttpContext.User.Identity?.IsAuthenticated == true)
                {
                    await RecordAsync(context.HttpContext, new AuditEntry(context.HttpContext.AuditActor(), AuditActions.SignOut));
                }
                await signingOut(context);
            };
        });
        builder.Services.PostConfigure<GoogleOptions>(GoogleDefaults.AuthenticationScheme, google =>
        {
            var admit = google.Events.OnCreatingTicket;
            google.Events.OnCreatingTicket = async context =>
            {
                try
                {
                    await admit(context);
                }
                catch (AuthenticationFailureException denied) when (denied.Message is DeniedReason.NotAllowed or DeniedReason.Unverified)
                {
                    var email = context.User.TryGetProperty("email", out var e) && e.ValueKind == JsonValueKind.String ? e.GetString() : null;
                    await RecordAsync(context.HttpContext, new AuditEntry(
                        AuditActors.Claiming(context.HttpContext, email), AuditActions.SignInDenied, Details: With("google"),
                        Outcome: denied.Message == DeniedReason.Unverified ? AuditOutcomes.Unverified : AuditOutcomes.NotAllowed));
                    throw;
                }
            };
        });
        return builder;
    }

    /// <summary>How the person proved their email, as the rows say it: "with google", "with development sign-in".</summary>
    public static string With(string method) => method == "development" ? "with development sign-in" : $"with {method}";

    private static Task RecordAsync(HttpContext http, AuditEntry entry) =>
        http.RequestServices.GetRequiredService<AuditTrail>()
            .RecordAsync(http.RequestServices.GetRequiredService<CrmDbContext>(), entry, CancellationToken.None);
}
