using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using XenoCrm.Web.Authentication;

namespace XenoCrm.Web.Pages.Account;

[AnyRoleMayPost]
public sealed class SignOutModel : PageModel
{
    public void OnGet()
    {
    }

    public async Task<IActionResult> OnPostAsync()
    {
        await CrmSignIn.SignOutAsync(HttpContext);
        return Redirect("/account/signin");
    }
}
