using System.ComponentModel.DataAnnotations;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using XenoCrm.Web.ApiKeys;
using XenoCrm.Web.Audit;

namespace XenoCrm.Web.Pages.Settings.ApiKeys;

/// <summary>
/// Keys for the machines that push customers and orders. A new key travels to the next page
/// render in TempData (a data-protected cookie, read once) so that reloading that page neither
/// shows it again nor creates another key.
/// </summary>
public sealed class IndexModel(ApiKeyStore store) : PageModel
{
    public sealed record CreateKeyInput
    {
        [Display(Name = "Name")]
        [Required(ErrorMessage = "Name the key after the shop or system that will use it.")]
        [StringLength(ApiKeyStore.NameMaxLength, ErrorMessage = "A name has at most {1} characters.")]
        public string Name { get; init; } = "";
    }

    [BindProperty]
    public CreateKeyInput Input { get; set; } = new();

    [TempData]
    public string? NewKey { get; set; }

    [TempData]
    public string? NewKeyName { get; set; }

    public IReadOnlyList<ApiKeyStore.ApiKeySummary> Keys { get; private set; } = [];

    public async Task OnGetAsync(CancellationToken ct)
    {
        // The page may carry a key in the clear: keep it out of every cache.
        Response.Headers.CacheControl = "no-store";
        Keys = await store.ListAsync(ct);
    }

    public async Task<IActionResult> OnPostAsync(CancellationToken ct)
    {
        if (!ModelState.IsValid)
        {
            Keys = await store.ListAsync(ct);
            return Page();
        }
        var (row, key) = await store.CreateAsync(Input.Name, HttpContext.AuditActor(), ct);
        NewKey = key;
        NewKeyName = row.Name;
        return RedirectToPage();
    }
}
