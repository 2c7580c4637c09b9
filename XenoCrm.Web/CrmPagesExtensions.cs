using Microsoft.Extensions.DependencyInjection.Extensions;
using XenoCrm.Web.ApiKeys;
using XenoCrm.Web.Authentication;
using XenoCrm.Web.DeadLetters;
using XenoCrm.Web.Pages;
using XenoCrm.Web.Pages.SystemStatus;
using XenoCrm.ServiceDefaults;

namespace XenoCrm.Web;

/// <summary>The pages people use: the shell, customers, orders, dead letters, settings and the System page.</summary>
public static class CrmPagesExtensions
{
    public static WebApplicationBuilder AddCrmPages(this WebApplicationBuilder builder)
    {
        builder.Services.AddRazorPages(pages =>
        {
            // Roles, page by page: every signed-in person reads (the fallback policy); the editors are for marketers and
            // admins; the machinery is for admins. Handlers that write or export are checked by HandlerAuthorizationFilter.
            pages.Conventions.AuthorizeFolder("/Settings/ApiKeys", AuthPolicies.Admin);
            pages.Conventions.AuthorizeFolder("/Settings/Audit", AuthPolicies.Admin);
            pages.Conventions.AuthorizeFolder("/SystemStatus", AuthPolicies.Admin);
            pages.Conventions.AuthorizeFolder("/DeadLetters", AuthPolicies.Admin);
            foreach (var editor in (string[])["/Segments/New", "/Segments/Edit", "/Segments/Duplicate", "/Campaigns/New", "/Campaigns/Edit"])
            {
                pages.Conventions.AuthorizePage(editor, AuthPolicies.Marketer);
            }
            pages.Conventions.ConfigureFilter(new HandlerAuthorizationFilter());
            // Error pages must render for whoever hit the error, signed in or not.
            pages.Conventions.AllowAnonymousToPage("/Error");
            pages.Conventions.AllowAnonymousToPage("/StatusCode");
            pages.Conventions.AddPageBodyLimits();
        });
        builder.Services.Configure<RouteOptions>(routes => routes.LowercaseUrls = true);
        builder.AddValidatedOptions<DisplayOptions>(DisplayOptions.Section);
        builder.Services.TryAddSingleton(TimeProvider.System);
        builder.Services.AddSingleton<DisplayFormat>();
        builder.Services.AddScoped<ApiKeyStore>();
        builder.Services.AddScoped<DeadLetterReplayer>();
        builder.Services.AddSingleton<SystemFigures>();
        // Program.cs roots the content at the build output, where a build (unlike a publish) puts no
        // wwwroot; the static web assets manifest the build leaves there points at the project's
        // wwwroot instead. The host does this itself in Development; after a publish there is no
        // manifest and this does nothing.
        if (!builder.Environment.IsDevelopment())
        {
            builder.WebHost.UseStaticWebAssets();
        }
        return builder;
    }

    /// <summary>
    /// Browsers get pages for exceptions and for error statuses without a body (a 404, say); API
    /// clients keep their problem details. Call it after the problem-details <c>UseExceptionHandler()</c>
    /// and <c>UseStatusCodePages()</c>, so that it sees errors before they do, and before
    /// <c>UseRouting()</c>, so that re-executing a request routes it again, to the error page.
    /// </summary>
    public static IApplicationBuilder UseCrmErrorPages(this IApplicationBuilder app) =>
        app.UseWhen(IsBrowserPage, browser => browser
            .UseExceptionHandler("/Error")
            .UseStatusCodePagesWithReExecute("/status/{0}"));

    public static WebApplication MapCrmPages(this WebApplication app)
    {
        // Anonymous, so that the sign-in page has its styles whatever the fallback policy.
        app.MapStaticAssets().AllowAnonymous();
        app.MapRazorPages().WithStaticAssets();
        return app;
    }

    private static bool IsBrowserPage(HttpContext http) =>
        !http.Request.Path.StartsWithSegments("/api")
        && http.Request.Headers.Accept.Any(accept => accept?.Contains("text/html", StringComparison.OrdinalIgnoreCase) == true);
}
