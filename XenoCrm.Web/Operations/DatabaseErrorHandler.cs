using System.Data.Common;
using System.Diagnostics;
using Microsoft.AspNetCore.Diagnostics;
using XenoCrm.Core.Data;

namespace XenoCrm.Web.Operations;

/// <summary>
/// A request that failed in the database. While the database cannot be reached, or the error passes by itself
/// (<see cref="DatabaseRetry.IsDatabaseFailureAsync"/>, the judgement the consumers retry by), the answer is 503 with
/// Retry-After, which a client can act on. Any other database error (a query the database refuses, a missing table)
/// is the server's fault and will not pass with waiting: 500, logged once here with the correlation id that the
/// problem document carries, so that what a user reports leads an operator to the log entry.
/// </summary>
internal sealed class DatabaseErrorHandler(IProblemDetailsService problems, IServiceScopeFactory scopes, ILogger<DatabaseErrorHandler> logger) : IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext http, Exception exception, CancellationToken ct)
    {
        if (!FromDatabase(exception))
        {
            return false;
        }
        // Not the request's token: a client that gave up still gets its failure judged (and logged) rightly; the ping
        // that judges it is bounded by the connection's own timeout.
        var unavailable = await DatabaseRetry.IsDatabaseFailureAsync(exception, scopes, CancellationToken.None);
        // The id ASP.NET Core gives problem documents and the error page shows: the W3C trace context, trace id included.
        var correlationId = Activity.Current?.Id ?? http.TraceIdentifier;
        var status = unavailable ? StatusCodes.Status503ServiceUnavailable : StatusCodes.Status500InternalServerError;
        http.Response.StatusCode = status;
        if (unavailable)
        {
            http.Response.Headers.RetryAfter = "5";
        }
        var written = await problems.TryWriteAsync(new ProblemDetailsContext
        {
            HttpContext = http,
            Exception = exception,
            ProblemDetails =
            {
                Status = status,
                Title = unavailable ? "The database is unavailable; retry shortly." : "The request failed in the database.",
                Detail = unavailable ? null : "The error has been logged with this document's correlationId.",
                Extensions = { ["correlationId"] = correlationId },
            },
        });
        // A browser gets no problem document: the error page's handler logs the exception then, and only then.
        if (written)
        {
            if (unavailable)
            {
                logger.LogWarning("The database is unavailable: {Error} (correlation id {CorrelationId})", exception.Message, correlationId);
            }
            else
            {
                logger.LogError(exception, "{Method} {Path} failed in the database (correlation id {CorrelationId})",
                    http.Request.Method, http.Request.Path, correlationId);
            }
        }
        return written;
    }

    private static bool FromDatabase(Exception exception)
    {
        for (var e = exception; e is not null; e = e.InnerException)
        {
            if (e is DbException or TimeoutException)
            {
                return true;
            }
        }
        return false;
    }
}
