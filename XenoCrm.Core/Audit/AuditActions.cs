namespace XenoCrm.Core.Audit;

/// <summary>
/// The audit log's vocabulary: every action a row can have, one constant each, and <see cref="All"/> for the
/// page's filter. An action is stored as its text, so a new one is a constant here (and a line in <see cref="All"/>),
/// never a migration; a stored action must never be renamed.
/// </summary>
public static class AuditActions
{
    public const int MaxLength = 40;

    // People signing in and out.
    public const string SignIn = "sign-in";
    public const string SignInDenied = "sign-in-denied";
    public const string SignOut = "sign-out";
    public const string SessionRevoked = "session-revoked";
    public const string RoleChanged = "role-changed";

    // Machine credentials.
    public const string ApiKeyCreated = "api-key-created";
    public const string ApiKeyRevoked = "api-key-revoked";

    // Messages ingestion gave up on.
    public const string DeadLetterReplayed = "dead-letter-replayed";
    public const string DeadLetterDiscarded = "dead-letter-discarded";

    // Personal data leaving the CRM.
    public const string Export = "export";

    // Campaigns, from the pages and the API alike.
    public const string CampaignSent = "campaign-sent";
    public const string CampaignScheduled = "campaign-scheduled";
    public const string CampaignCancelled = "campaign-cancelled";
    public const string CampaignRetried = "campaign-retried";
    public const string CampaignDeleted = "campaign-deleted";

    /// <summary>Every action, in the order the page's filter offers them.</summary>
    public static IReadOnlyList<string> All { get; } =
    [
        SignIn, SignInDenied, SignOut, SessionRevoked, RoleChanged,
        ApiKeyCreated, ApiKeyRevoked,
        DeadLetterReplayed, DeadLetterDiscarded,
        Export,
        CampaignSent, CampaignScheduled, CampaignCancelled, CampaignRetried, CampaignDeleted,
    ];

    /// <summary>How a person proved their email, as the sign-in rows say it: "with google", "with development sign-in".</summary>
    public static string SignedInWith(string method) => method == "development" ? "with development sign-in" : $"with {method}";

    public static bool IsKnown(string action) => All.Contains(action, StringComparer.Ordinal);
}

/// <summary>What an audit row's target is; stored as text like the actions.</summary>
public static class AuditTargets
{
    public const int TypeMaxLength = 40;

    public const string ApiKey = "api-key";
    public const string DeadLetter = "dead-letter";
    public const string Campaign = "campaign";
    public const string Session = "session";
}

/// <summary>How an action ended, where that is not simply "done".</summary>
public static class AuditOutcomes
{
    public const int MaxLength = 40;

    public const string NotAllowed = "not-allowed";
    public const string Unverified = "unverified";
    public const string Throttled = "throttled";
}
