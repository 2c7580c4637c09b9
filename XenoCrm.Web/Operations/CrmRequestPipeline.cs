using Hangfire;
using XenoCrm.Web.Authentication;

namespace XenoCrm.Web.Operations;

public static class CrmRequestPipeline
{
    /// <summary>Problem details for API clients: database outages answered as 503, other database errors as 500 with a correlation id.</summary>
    public static IHostApplicationBuilder AddCrmErrorHandling(this IHostApplicationBuilder builder)
    {
        builder.Services.AddProblemDetails();
        builder.Services.AddExceptionHandler<DatabaseErrorHandler>();
        return builder;
    }

    /// <summary>
    /// The middleware every request passes, in the order that matters: the trusted proxy's client address and scheme
    /// first (so that everything after sees them), errors next (so that they see every later failure), HSTS on HTTPS
    /// responses, browser error pages before routing (so that a re-executed request routes again, to the error page),
    /// then routing, authentication, authorization, and rate limits, which partition by the authenticated client.
    /// </summary>
    public static WebApplication UseCrmRequestPipeline(this WebApplication app)
    {
        app.UseTransportSecurity();
        app.UseExceptionHandler();
        if (!app.Environment.IsDevelopment())
        {
            // Only on HTTPS responses, and not to localhost: the middleware skips both.
            app.UseHsts();
        }
        app.UseSecurityHeaders();
        app.UseStatusCodePages();
        app.UseCrmErrorPages();
        app.UseRouting();
        app.UseAuthentication();
        app.UseAuthorization();
        app.UseRateLimiter();
        return app;
    }

    /// <summary>Hangfire's dashboard at <c>/hangfire</c>, for admins only (our policy, not Hangfire's local-only default).</summary>
    public static WebApplication MapJobsDashboard(this WebApplication app)
    {
        app.MapHangfireDashboard("/hangfire", new DashboardOptions { Authorization = [], DashboardTitle = "XenoCrm jobs", AppPath = "/" })
            .RequireAuthorization(AuthPolicies.Admin);
        return app;
    }
}
