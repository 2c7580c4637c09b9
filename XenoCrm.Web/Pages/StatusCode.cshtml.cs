using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace XenoCrm.Web.Pages;

/// <summary>
/// The page browsers see for an error status without a body of its own, most often 404. The
/// status-code middleware re-executes the request here, keeping its status and method.
/// </summary>
[IgnoreAntiforgeryToken]
[XenoCrm.Web.Authentication.AnyRoleMayPost]
public sealed class StatusCodeModel : PageModel
{
    public int Code { get; private set; }
    public string? OriginalPath { get; private set; }

    public string Title => Code switch
    {
        StatusCodes.Status404NotFound => "Not found",
        StatusCodes.Status400BadRequest => "That request could not be handled",
        StatusCodes.Status403Forbidden => "Not allowed",
        StatusCodes.Status405MethodNotAllowed => "That request could not be handled",
        StatusCodes.Status429TooManyRequests => "Too many requests",
        _ => "Something went wrong",
    };

    public string Explanation => Code switch
    {
        StatusCodes.Status404NotFound => "The page or record you asked for does not exist. It may have been removed, or the link may be wrong.",
        StatusCodes.Status400BadRequest => "If you were sending a form, it may have expired: go back, reload the page and try again.",
        StatusCodes.Status403Forbidden => "Your account does not have access to this page.",
        StatusCodes.Status429TooManyRequests => "Slow down a little and try again in a moment.",
        _ => "XenoCrm could not finish this request. Trying again in a moment often works.",
    };

    public void OnGet(int code) => Describe(code);

    public void OnPost(int code) => Describe(code);

    private void Describe(int code)
    {
        var reExecuted = HttpContext.Features.Get<IStatusCodeReExecuteFeature>();
        Code = code is >= 400 and <= 599 ? code : StatusCodes.Status404NotFound;
        // The path only: a query string could carry text that a link's author, not the user, wrote.
        OriginalPath = reExecuted?.OriginalPath;
        if (reExecuted is null)
        {
            // Visited directly rather than re-executed: answer with the status being shown.
            Response.StatusCode = Code;
        }
    }
}
