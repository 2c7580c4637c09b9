using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using XenoCrm.Web.ApiKeys;
using XenoCrm.Web.Audit;

namespace XenoCrm.Web.Pages.Settings.ApiKeys;

/// <summary>A revoked key cannot be restored, so revoking takes a second, deliberate POST from this page.</summary>
public sealed class RevokeModel(ApiKeyStore store) : PageModel
{
    public ApiKeyStore.ApiKeySummary Key { get; private set; } = null!;

    public async Task<IActionResult> OnGetAsync(long id, CancellationToken ct)
    {
        if (await store.FindAsync(id, ct) is not { } key)
        {
            return NotFound();
        }
        Key = key;
        return Page();
    }

    public async Task<IActionResult> OnPostAsync(long id, CancellationToken ct)
    {
        var key = await store.FindAsync(id, ct);
        if (key is null)
        {
            return NotFound();
        }
        if (await store.RevokeAsync(id, HttpContext.AuditActor(), ct))
        {
            TempData.Success($"Revoked “{key.Name}” (xcrm_{key.Prefix}_…). Requests that use it are refused within {ApiKeyStore.RevocationDelay.TotalSeconds:0} seconds.");
        }
        else
        {
            TempData.Failure($"“{key.Name}” was revoked already.");
        }
        return RedirectToPage("/Settings/ApiKeys/Index");
    }
}
