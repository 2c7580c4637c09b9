
namespace XenoCrm.Web.Operations;

public static class SecurityHeaders
{
    // Scripts and styles come only from wwwroot; nothing may frame the app or embed plugins.
    private const string ContentSecurityPolicy =
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; " +
        "connect-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'";

    // The app uses none of the browser's powerful features, so a script that got in still cannot reach them.
    // Only features Chromium knows: an unknown one is a console error on every page.
    private const string PermissionsPolicy =
        "accelerometer=(), camera=(), display-capture=(), geolocation=(), gyroscope=(), hid=(), magnetometer=(), " +
        "microphone=(), midi=(), payment=(), serial=(), usb=()";

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
            headers["Permissions-Policy"] = PermissionsPolicy;
            // A window this site opens, or that opens it, gets no handle on the other (Google's sign-in is a redirect, not a popup).
            headers["Cross-Origin-Opener-Policy"] = "same-origin";
            return Task.CompletedTask;
        });
        return next(http);
    });
}
