
namespace XenoCrm.Web.Authentication;

/// <summary>
/// Section <c>Auth</c>:
/// <code>
/// { "Auth": {
///     "AllowedEmails": ["ops@partner.com"], "AllowedDomains": ["myshop.com"], "AdminEmails": ["lead@myshop.com"],
///     "Google": { "ClientId": "…apps.googleusercontent.com", "ClientSecret": "…" },
///     "DevelopmentSignIn": false } }
/// </code>
/// </summary>
public sealed class AuthOptions
{
    public const string Section = "Auth";

    /// <summary>The embedded try-out's allow-list when none is configured: a reserved domain nobody really owns.</summary>
    public const string EmbeddedDemoDomain = "example.com";
    public const string EmbeddedDemoAdmin = "admin@example.com";

    public List<string> AllowedEmails { get; set; } = [];
    public List<string> AllowedDomains { get; set; } = [];
    public List<string> AdminEmails { get; set; } = [];
    public GoogleCredentials Google { get; set; } = new();

    /// <summary>
    /// Typing an email instead of Google. Unset, it is on only in the embedded mode without Google
    /// credentials; the distributed mode needs it set explicitly.
    /// </summary>
    public bool DevelopmentSignIn { get; set; }

    public bool HasGoogle => !string.IsNullOrWhiteSpace(Google.ClientId) && !string.IsNullOrWhiteSpace(Google.ClientSecret);

    public bool IsAllowed(string email)
    {
        var domain = email[(email.LastIndexOf('@') + 1)..];
        return AllowedEmails.Contains(email, StringComparer.OrdinalIgnoreCase)
            || AllowedDomains.Contains(domain, StringComparer.OrdinalIgnoreCase);
    }

    public bool IsAdmin(string email) => AdminEmails.Contains(email, StringComparer.OrdinalIgnoreCase);

    public sealed class GoogleCredentials
    {
        public string? ClientId { get; set; }
        public string? ClientSecret { get; set; }
    }
}
