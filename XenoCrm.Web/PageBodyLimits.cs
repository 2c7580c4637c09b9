using System.Reflection;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.Abstractions;
using Microsoft.AspNetCore.Mvc.ApplicationModels;
using Microsoft.AspNetCore.Mvc.Filters;
using Microsoft.AspNetCore.Mvc.Infrastructure;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace XenoCrm.Web;

/// <summary>
/// A page handler that takes more than <see cref="PageBodyLimits.DefaultMaxBytes"/>, with its own bound sized from
/// the largest input its validation accepts. Read from the handler method (and the method it overrides).
/// </summary>
[AttributeUsage(AttributeTargets.Method, Inherited = true)]
public sealed class BodyLimitAttribute(long maxBytes) : Attribute
{
    public long MaxBytes { get; } = maxBytes;
}

/// <summary>
/// Every page handler's body limit, applied once to all pages (<see cref="AddPageBodyLimits"/>): a small default,
/// larger only where a handler says so with <see cref="BodyLimitAttribute"/>. A body past its handler's limit is
/// answered 413 with a problem document before anything reads it — the anti-forgery check included, which reads a
/// form to find its token — and the server stops reading there; the form's field count and lengths are bounded too.
/// </summary>
public static class PageBodyLimits
{
    /// <summary>Forms of a few short fields (an email, a name, ids) with the anti-forgery token, with room to spare.</summary>
    public const long DefaultMaxBytes = 16 * 1024;

    /// <summary>
    /// What one character of a form field can take on the wire, url-encoded: up to 3 UTF-8 bytes, each as <c>%XX</c>.
    /// A text of UTF-8 bytes (JSON in a hidden field) takes up to 3 bytes a byte.
    /// </summary>
    public const int FormEncodedBytesPerChar = 9;

    // Far more than any of our forms has; a form of thousands of tiny fields is refused while it is read.
    private const int MaxFormFields = 64;
    private const int MaxFormKeyLength = 200;

    public static void AddPageBodyLimits(this PageConventionCollection conventions) =>
        conventions.ConfigureFilter(new PageBodyLimitFilter());

    /// <summary>The limit of the handler that <paramref name="http"/> selects on <paramref name="action"/>'s page.</summary>
    private static long MaxBytesOf(ActionDescriptor action, HttpContext http)
    {
        if (action is not CompiledPageActionDescriptor page)
        {
            return DefaultMaxBytes;
        }
        // The same name Razor Pages selects the handler by: the route's, else the query's.
        var name = http.GetRouteValue("handler")?.ToString() ?? http.Request.Query["handler"].FirstOrDefault() ?? "";
        var limits = page.HandlerMethods
            .Where(h => string.Equals(h.HttpMethod, http.Request.Method, StringComparison.OrdinalIgnoreCase)
                        && string.Equals(h.Name ?? "", name, StringComparison.OrdinalIgnoreCase))
            .Select(h => h.MethodInfo.GetCustomAttribute<BodyLimitAttribute>(inherit: true)?.MaxBytes ?? DefaultMaxBytes);
        return limits.DefaultIfEmpty(DefaultMaxBytes).Max();
    }

    private sealed class PageBodyLimitFilter : IAuthorizationFilter, IOrderedFilter
    {
        // Before the anti-forgery filter (order 1000), which reads the form; as MVC's own RequestSizeLimit does.
        public int Order => 900;

        public void OnAuthorization(AuthorizationFilterContext context)
        {
            var http = context.HttpContext;
            // An error page re-executed for a failed request: that body was its own handler's to judge, and the
            // error page never reads it.
            if (http.Features.Get<IStatusCodeReExecuteFeature>() is not null || http.Features.Get<IExceptionHandlerFeature>() is not null)
            {
                return;
            }
            var maxBytes = MaxBytesOf(context.ActionDescriptor, http);
            if (http.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } size)
            {
                // Catches a body without a Content-Length (chunked) as it is read.
                size.MaxRequestBodySize = maxBytes;
            }
            if (http.Request.ContentLength > maxBytes)
            {
                var problems = http.RequestServices.GetRequiredService<ProblemDetailsFactory>();
                var problem = problems.CreateProblemDetails(http, StatusCodes.Status413PayloadTooLarge,
                    title: "The body is too large.", detail: $"Send at most {(maxBytes + 1023) / 1024} KB.");
                context.Result = new ObjectResult(problem)
                {
                    StatusCode = StatusCodes.Status413PayloadTooLarge,
                    ContentTypes = { "application/problem+json" },
                };
                return;
            }
            if (http.Request.HasFormContentType && http.Features.Get<IFormFeature>()?.Form is null)
            {
                http.Features.Set<IFormFeature>(new FormFeature(http.Request, new FormOptions
                {
                    ValueCountLimit = MaxFormFields,
                    KeyLengthLimit = MaxFormKeyLength,
                    ValueLengthLimit = (int)Math.Min(maxBytes, int.MaxValue),
                    MultipartBodyLengthLimit = maxBytes,
                }));
            }
        }
    }
}
