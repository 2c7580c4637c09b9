using XenoCrm.Core.Sessions;

namespace XenoCrm.Web.Authentication;

/// <summary>
/// Section <c>Auth</c>:
/// <code>
/// { "Auth": {
///     "AllowedEmails": ["ops@partner.com"], "AllowedDomains": ["myshop.com"], "AdminEmails": ["lead@myshop.com"],
///     "Google": { "ClientId": "…apps.googleusercontent.com", "ClientSecret": "…" },
///     "MarketerEmails": [], "ViewerEmails": ["intern@myshop.com"], "DefaultRole": "marketer",
///     "SessionAbsoluteLifetime": "12:00:00", "SessionIdleTimeout": "08:00:00",
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
    public List<string> MarketerEmails { get; set; } = [];
    public List<string> ViewerEmails { get; set; } = [];

    /// <summary>The role of an allowed person on none of the role lists: marketer, so that deployments from before roles keep working.</summary>
    public string DefaultRole { get; set; } = CrmRoles.Marketer;

    /// <summary>How long a session lasts from sign-in, however active it is.</summary>
    public TimeSpan SessionAbsoluteLifetime { get; set; } = TimeSpan.FromHours(12);

    /// <summary>How long a session lasts without a request (sliding).</summary>
    public TimeSpan SessionIdleTimeout { get; set; } = TimeSpan.FromHours(8);

    public SessionLimits SessionLimits => new(SessionAbsoluteLifetime, SessionIdleTimeout);
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

    /// <summary>
    /// The role the configuration gives <paramref name="email"/> now, or null when it is no longer allowed in. Checked
    /// at every request (against the email's domain: Google's <c>hd</c> claim was checked at sign-in, and what changes
    /// later is the configuration, not the account).
    /// </summary>
    public CrmRole? CurrentRoleOf(string email) =>
        IsAllowed(email) ? CrmRoles.Resolve(email, AdminEmails, MarketerEmails, ViewerEmails, DefaultCrmRole) : null;

    private CrmRole DefaultCrmRole => CrmRoles.TryParse(DefaultRole, out var role) ? role : CrmRole.Marketer;

    public sealed class GoogleCredentials
    {
        public string? ClientId { get; set; }
        public string? ClientSecret { get; set; }
    }
}
