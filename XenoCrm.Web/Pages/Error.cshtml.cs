using System.Diagnostics;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace XenoCrm.Web.Pages;

/// <summary>
/// Where the exception handler sends browsers. It re-executes the failed request with its method,
/// so a failed POST arrives here as a POST, with a token meant for another page.
/// </summary>
[IgnoreAntiforgeryToken]
[ResponseCache(Duration = 0, Location = ResponseCacheLocation.None, NoStore = true)]
[XenoCrm.Web.Authentication.AnyRoleMayPost]
public sealed class ErrorModel : PageModel
{
    /// <summary>The id that the request's log entries carry, so an operator can find them.</summary>
    public string RequestId => Activity.Current?.Id ?? HttpContext.TraceIdentifier;
}
