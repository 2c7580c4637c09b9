using System.Text.Json;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Authentication.OAuth;
using Microsoft.AspNetCore.Authorization;
using Microsoft.Extensions.Options;
using XenoCrm.Core.Audit;
using XenoCrm.Core.Data;
using XenoCrm.Core.Sessions;
using XenoCrm.ServiceDefaults.Messaging;
using XenoCrm.Web.Audit;

namespace XenoCrm.Web.Authentication;

public static class DeniedReason
{
    public const string NotAllowed = "not-allowed";
    public const string Unverified = "unverified";
    public const string Failed = "failed";
}

public static class CrmAuthenticationExtensions
{
    /// <summary>
    /// People sign in with Google (or, without Google credentials, the development sign-in) into a
    /// cookie session; only allow-listed, verified emails get one. Machines use API keys. Every
    /// endpoint requires one or the other unless it opts out.
    /// </summary>
    public static IHostApplicationBuilder AddCrmAuthentication(this IHostApplicationBuilder builder)
    {
        var options = ReadAuthOptions(builder.Configuration);
        builder.Services.AddSingleton(Options.Create(options));
        builder.Services.AddHostedService<DevelopmentSignInWarning>();
        builder.Services.AddScoped<SessionStore>();
        builder.Services.AddScoped<SessionCookieEvents>();

        var authentication = builder.Services.AddAuthentication(CookieAuthenticationDefaults.AuthenticationScheme)
            .AddCookie(cookie =>
            {
                cookie.LoginPath = "/account/signin";
                cookie.AccessDeniedPath = "/account/denied";
                cookie.LogoutPath = "/account/signout";
                cookie.Cookie.Name = "xenocrm.session";
                cookie.Cookie.HttpOnly = true;
                cookie.Cookie.SameSite = SameSiteMode.Lax;
                cookie.Cookie.SecurePolicy = CookieSecurePolicy.SameAsRequest;
                cookie.ExpireTimeSpan = options.SessionIdleTimeout;
                cookie.SlidingExpiration = true;
                // Each request's cookie is checked against its row in the sessions table (revoked, lifetimes, allow-list, role).
                // Delegates rather than EventsType: an events type replaces Events wholesale, and the redirects
                // (TransportSecurityExtensions) wrap these delegates.
                cookie.Events.OnSigningIn = context => SessionEventsOf(context.HttpContext).SigningIn(context);
                cookie.Events.OnValidatePrincipal = context => SessionEventsOf(context.HttpContext).ValidatePrincipal(context);
                cookie.Events.OnSigningOut = context => SessionEventsOf(context.HttpContext).SigningOut(context);
            });
        if (options.HasGoogle)
        {
            authentication.AddGoogle(google =>
            {
                google.ClientId = options.Google.ClientId!;
                google.ClientSecret = options.Google.ClientSecret!;
                google.CallbackPath = "/account/google-callback";
                google.CorrelationCookie.SameSite = SameSiteMode.Lax;
                google.CorrelationCookie.SecurePolicy = CookieSecurePolicy.SameAsRequest;
                google.Events.OnCreatingTicket = context => AdmitGoogleUser(context, options);
                google.Events.OnRemoteFailure = context =>
                {
                    // Only a fixed code travels in the URL, so the page never shows text an attacker wrote.
                    var reason = context.Failure?.Message is DeniedReason.NotAllowed or DeniedReason.Unverified ? context.Failure.Message : DeniedReason.Failed;
                    context.Response.Redirect("/account/denied?reason=" + reason);
                    context.HandleResponse();
                    return Task.CompletedTask;
                };
            });
        }

        builder.Services.AddAuthorizationBuilder()
            .SetFallbackPolicy(new AuthorizationPolicyBuilder(CookieAuthenticationDefaults.AuthenticationScheme).RequireAuthenticatedUser().Build())
            .AddPolicy(AuthPolicies.Admin, p => p.AddAuthenticationSchemes(CookieAuthenticationDefaults.AuthenticationScheme).RequireRole(CrmRoles.Admin))
            .AddPolicy(AuthPolicies.Marketer, p => p.AddAuthenticationSchemes(CookieAuthenticationDefaults.AuthenticationScheme).RequireRole(CrmRoles.Admin, CrmRoles.Marketer));
        return builder;
    }

    private static SessionCookieEvents SessionEventsOf(HttpContext http) => http.RequestServices.GetRequiredService<SessionCookieEvents>();

    /// <summary>
    /// Trusts only what Google's user-info endpoint said over the back channel: <c>email_verified</c>
    /// and the Workspace domain <c>hd</c>. A <c>hd</c> in the browser's request means nothing here.
    /// </summary>
    private static async Task AdmitGoogleUser(OAuthCreatingTicketContext context, AuthOptions options)
    {
        var user = context.User;
        var email = user.TryGetProperty("email", out var e) ? e.GetString() : null;
        var verified = user.TryGetProperty("email_verified", out var v) && v.ValueKind == JsonValueKind.True;
        var hostedDomain = user.TryGetProperty("hd", out var hd) ? hd.GetString() : null;
        if (email is null || !verified)
        {
            await RecordRefusedAsync(context.HttpContext, email, AuditOutcomes.Unverified);
            // GoogleHandler ignores context.Fail() here and would sign the user in anyway; only an exception ends the sign-in.
            throw new AuthenticationFailureException(DeniedReason.Unverified);
        }
        var emailDomain = email[(email.LastIndexOf('@') + 1)..];
        var allowed = options.AllowedEmails.Contains(email, StringComparer.OrdinalIgnoreCase)
            || hostedDomain is not null && string.Equals(hostedDomain, emailDomain, StringComparison.OrdinalIgnoreCase)
               && options.AllowedDomains.Contains(hostedDomain, StringComparer.OrdinalIgnoreCase);
        if (!allowed)
        {
            await RecordRefusedAsync(context.HttpContext, email, AuditOutcomes.NotAllowed);
            throw new AuthenticationFailureException(DeniedReason.NotAllowed);
        }
        var name = user.TryGetProperty("name", out var n) ? n.GetString() : null;
        context.Principal = CrmSignIn.Principal(email, name, "google");
    }

    /// <summary>Not cancelled with the request: a person who closes the tab is still recorded.</summary>
    private static Task RecordRefusedAsync(HttpContext http, string? email, string outcome) =>
        http.RequestServices.GetRequiredService<AuditTrail>().RecordAsync(
            http.RequestServices.GetRequiredService<CrmDbContext>(),
            new AuditEntry(AuditActors.Claiming(http, email), AuditActions.SignInDenied, Details: AuditActions.SignedInWith("google"), Outcome: outcome),
            CancellationToken.None);

    private static AuthOptions ReadAuthOptions(IConfiguration configuration)
    {
        var section = configuration.GetSection(AuthOptions.Section);
        var options = section.Get<AuthOptions>() ?? new AuthOptions();
        var embedded = configuration.UsesInProcessBus();
        var addresses = ListeningAddresses.Read(configuration);
        options.ListeningOn = string.Join(", ", addresses);
        options.ReachableBeyondLoopback = !addresses.All(ListeningAddresses.IsLoopback);
        var explicitDevelopmentSignIn = section.GetValue<bool?>(nameof(AuthOptions.DevelopmentSignIn));
        var tryOut = embedded && !options.HasGoogle;

        if (tryOut && explicitDevelopmentSignIn is null && options.ReachableBeyondLoopback)
        {
            // The try-out's passwordless sign-in is for the newcomer at this machine, never for whoever else reaches it.
            throw new OptionsValidationException(AuthOptions.Section, typeof(AuthOptions),
            [
                $"XenoCrm listens on {options.ListeningOn}, which other machines can reach, and the development sign-in " +
                "(an email, no password) would let anyone who reaches it in. Configure Google sign-in (Auth:Google:ClientId and " +
                "Auth:Google:ClientSecret, see README), listen on loopback only (--urls http://127.0.0.1:5000), or set " +
                "Auth:DevelopmentSignIn=true explicitly to accept that on a server nobody else should use.",
            ]);
        }
        options.DevelopmentSignIn = explicitDevelopmentSignIn ?? tryOut;
        ValidateSessionsAndRoles(options);

        if (!options.HasGoogle && !options.DevelopmentSignIn)
        {
            throw new OptionsValidationException(AuthOptions.Section, typeof(AuthOptions),
            [
                "Nobody could sign in: set Auth:Google:ClientId and Auth:Google:ClientSecret (see README), " +
                "or turn on Auth:DevelopmentSignIn=true explicitly for a non-public test server.",
            ]);
        }
        if (options.AllowedEmails.Count == 0 && options.AllowedDomains.Count == 0)
        {
            if (!embedded)
            {
                throw new OptionsValidationException(AuthOptions.Section, typeof(AuthOptions),
                    ["Set Auth:AllowedEmails or Auth:AllowedDomains to say who may sign in."]);
            }
            if (options.ReachableBeyondLoopback)
            {
                // The try-out's allow-list makes admin@example.com, an address every reader of the README knows, an admin.
                throw new OptionsValidationException(AuthOptions.Section, typeof(AuthOptions),
                [
                    "Set Auth:AllowedEmails or Auth:AllowedDomains to say who may sign in: the built-in " +
                    $"{AuthOptions.EmbeddedDemoDomain} allow-list, with {AuthOptions.EmbeddedDemoAdmin} an admin, is only for a server " +
                    $"that listens on loopback only, and this one listens on {options.ListeningOn}.",
                ]);
            }
            // The try-out mode must let a newcomer in without configuration.
            options.AllowedDomains.Add(AuthOptions.EmbeddedDemoDomain);
            if (options.AdminEmails.Count == 0)
            {
                options.AdminEmails.Add(AuthOptions.EmbeddedDemoAdmin);
            }
        }
        return options;
    }

    private static void ValidateSessionsAndRoles(AuthOptions options)
    {
        var errors = new List<string>();
        if (!CrmRoles.TryParse(options.DefaultRole, out _))
        {
            errors.Add($"Auth:DefaultRole is '{options.DefaultRole}'; it must be {CrmRoles.Admin}, {CrmRoles.Marketer} or {CrmRoles.Viewer}.");
        }
        if (options.SessionAbsoluteLifetime <= TimeSpan.Zero)
        {
            errors.Add($"Auth:SessionAbsoluteLifetime must be a positive time span such as 12:00:00, not {options.SessionAbsoluteLifetime}.");
        }
        if (options.SessionIdleTimeout <= TimeSpan.Zero)
        {
            errors.Add($"Auth:SessionIdleTimeout must be a positive time span such as 08:00:00, not {options.SessionIdleTimeout}.");
        }
        if (errors.Count > 0)
        {
            throw new OptionsValidationException(AuthOptions.Section, typeof(AuthOptions), errors);
        }
    }
}

/// <summary>
/// Says at every start that people sign in without a password, and shouts it when other machines can reach the
/// server: the operator who turned the development sign-in on there explicitly reads it in the log, beside the
/// banner on the sign-in page.
/// </summary>
public sealed class DevelopmentSignInWarning(IOptions<AuthOptions> options, ILogger<DevelopmentSignInWarning> logger) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        var auth = options.Value;
        if (auth.DevelopmentSignIn && auth.ReachableBeyondLoopback)
        {
            logger.LogWarning(
                "!!! DEVELOPMENT SIGN-IN IS ON AND THIS SERVER LISTENS BEYOND LOOPBACK ({Addresses}) !!! Anyone who can reach it " +
                "and types an allowed email gets a session, without a password. Configure Google sign-in (Auth:Google:ClientId, " +
                "Auth:Google:ClientSecret) and remove Auth:DevelopmentSignIn=true before this server faces anyone.",
                auth.ListeningOn);
        }
        else if (auth.DevelopmentSignIn)
        {
            logger.LogInformation("Development sign-in (an email, no password) is on; the server listens on loopback only ({Addresses})", auth.ListeningOn);
        }
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
