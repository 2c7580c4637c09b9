using System.Data.Common;
using Microsoft.AspNetCore.Diagnostics;

namespace XenoCrm.Web.Operations;

/// <summary>
/// A request that needs the database while it is down gets 503 with Retry-After, the answer a
/// client can act on, instead of a 500.
/// </summary>
internal sealed class DatabaseUnavailableHandler(IProblemDetailsService problems, ILogger<DatabaseUnavailableHandler> logger) : IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext http, Exception exception, CancellationToken ct)
    {
        if (!IsDatabaseFailure(exception))
        {
            return false;
        }
        logger.LogWarning("The database is unavailable: {Error}", exception.Message);
        http.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
        http.Response.Headers.RetryAfter = "5";
        return await problems.TryWriteAsync(new ProblemDetailsContext
        {
            HttpContext = http,
            Exception = exception,
            ProblemDetails = { Status = StatusCodes.Status503ServiceUnavailable, Title = "The database is unavailable; retry shortly." },
        });
    }

    private static bool IsDatabaseFailure(Exception exception)
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
