using System.Text.Json;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Authentication.OAuth;
using Microsoft.AspNetCore.Authorization;
using Microsoft.Extensions.Options;
using XenoCrm.ServiceDefaults.Messaging;

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
                cookie.ExpireTimeSpan = TimeSpan.FromHours(8);
                cookie.SlidingExpiration = true;
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
            .AddPolicy(AuthPolicies.Admin, p => p.AddAuthenticationSchemes(CookieAuthenticationDefaults.AuthenticationScheme).RequireRole(AuthPolicies.AdminRole));
        return builder;
    }

    /// <summary>
    /// Trusts only what Google's user-info endpoint said over the back channel: <c>email_verified</c>
    /// and the Workspace domain <c>hd</c>. A <c>hd</c> in the browser's request means nothing here.
    /// </summary>
    private static Task AdmitGoogleUser(OAuthCreatingTicketContext context, AuthOptions options)
    {
        var user = context.User;
        var email = user.TryGetProperty("email", out var e) ? e.GetString() : null;
        var verified = user.TryGetProperty("email_verified", out var v) && v.ValueKind == JsonValueKind.True;
        var hostedDomain = user.TryGetProperty("hd", out var hd) ? hd.GetString() : null;
        if (email is null || !verified)
        {
            // GoogleHandler ignores context.Fail() here and would sign the user in anyway; only an exception ends the sign-in.
            throw new AuthenticationFailureException(DeniedReason.Unverified);
        }
        var emailDomain = email[(email.LastIndexOf('@') + 1)..];
        var allowed = options.AllowedEmails.Contains(email, StringComparer.OrdinalIgnoreCase)
            || hostedDomain is not null && string.Equals(hostedDomain, emailDomain, StringComparison.OrdinalIgnoreCase)
               && options.AllowedDomains.Contains(hostedDomain, StringComparer.OrdinalIgnoreCase);
        if (!allowed)
        {
            throw new AuthenticationFailureException(DeniedReason.NotAllowed);
        }
        var name = user.TryGetProperty("name", out var n) ? n.GetString() : null;
        context.Principal = CrmSignIn.Principal(email, name, options, "google");
        return Task.CompletedTask;
    }

    private static AuthOptions ReadAuthOptions(IConfiguration configuration)
    {
        var section = configuration.GetSection(AuthOptions.Section);
        var options = section.Get<AuthOptions>() ?? new AuthOptions();
        var embedded = configuration.UsesInProcessBus();
        var explicitDevelopmentSignIn = section.GetValue<bool?>(nameof(AuthOptions.DevelopmentSignIn));
        options.DevelopmentSignIn = explicitDevelopmentSignIn ?? (embedded && !options.HasGoogle);

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
            // The try-out mode must let a newcomer in without configuration.
            options.AllowedDomains.Add(AuthOptions.EmbeddedDemoDomain);
            if (options.AdminEmails.Count == 0)
            {
                options.AdminEmails.Add(AuthOptions.EmbeddedDemoAdmin);
            }
        }
        return options;
    }
}
