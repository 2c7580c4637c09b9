
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
    /// Typing an email instead of Google. Unset, it is on only in the embedded mode without Google credentials and
    /// when every address the server listens on is loopback; the distributed mode, and a server others can reach,
    /// need it set explicitly.
    /// </summary>
    public bool DevelopmentSignIn { get; set; }

    /// <summary>The addresses the server listens on (<see cref="ListeningAddresses"/>), for the warnings; never bound from configuration.</summary>
    public string ListeningOn { get; internal set; } = "";

    /// <summary>Whether another machine can reach the server: any listening address is not loopback. Never bound from configuration.</summary>
    public bool ReachableBeyondLoopback { get; internal set; }

    /// <summary>The try-out's hint and prefilled admin address: only on a server nobody else can reach.</summary>
    public bool OffersDemoAccounts =>
        DevelopmentSignIn && !ReachableBeyondLoopback && AllowedDomains.Contains(EmbeddedDemoDomain, StringComparer.OrdinalIgnoreCase);

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
