
namespace XenoCrm.Web.Operations;

public static class SecurityHeaders
{
    // Scripts and styles come only from wwwroot; nothing may frame the app or embed plugins.
    private const string ContentSecurityPolicy =
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; " +
        "connect-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'";

    /// <summary>
    /// Browser protections on every response. The Hangfire dashboard renders inline scripts of
    /// its own, so it gets the same headers without the script and style restrictions.
    /// </summary>
    public static IApplicationBuilder UseSecurityHeaders(this IApplicationBuilder app) => app.Use((http, next) =>
    {
        // Decided now: inside the dashboard's branch the path has moved to PathBase, and /hangfire reads as "/".
        var policy = http.Request.Path.StartsWithSegments("/hangfire")
            ? "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
            : ContentSecurityPolicy;
        // Set as the response starts: the exception handler clears headers set earlier.
        http.Response.OnStarting(() =>
        {
            var headers = http.Response.Headers;
            headers.XContentTypeOptions = "nosniff";
            headers.XFrameOptions = "DENY";
            headers["Referrer-Policy"] = "strict-origin-when-cross-origin";
            headers.ContentSecurityPolicy = policy;
            return Task.CompletedTask;
        });
        return next(http);
    });
}
