using Microsoft.AspNetCore.DataProtection;
using XenoCrm.Core.Data;

namespace XenoCrm.Web.Authentication;

public static class SharedDataProtectionExtensions
{
    /// <summary>
    /// Keeps data-protection keys (which sign session cookies and anti-forgery tokens) in the CRM database, so that
    /// every Web instance reads the same keys and a user's session survives being served by another instance or a
    /// restart.
    /// </summary>
    public static IHostApplicationBuilder AddSharedDataProtection(this IHostApplicationBuilder builder)
    {
        builder.Services.AddDataProtection()
            .SetApplicationName("XenoCrm")
            .PersistKeysToDbContext<CrmDbContext>();
        return builder;
    }
}
