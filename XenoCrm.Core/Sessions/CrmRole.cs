namespace XenoCrm.Core.Sessions;

/// <summary>What a signed-in person may do. Stored and shown by <see cref="CrmRoles.Name"/>.</summary>
public enum CrmRole
{
    /// <summary>Reads only: no export of personal data, no sends, schedules, cancels or retries, no segment or campaign writes.</summary>
    Viewer,

    /// <summary>Segments, campaigns, customers and exports.</summary>
    Marketer,

    /// <summary>Everything, and alone: dead letters, API keys, sessions, the System page and the jobs dashboard.</summary>
    Admin,
}

public static class CrmRoles
{
    public const string Admin = "admin";
    public const string Marketer = "marketer";
    public const string Viewer = "viewer";

    public static string Name(this CrmRole role) => role switch
    {
        CrmRole.Admin => Admin,
        CrmRole.Marketer => Marketer,
        _ => Viewer,
    };

    public static bool TryParse(string? name, out CrmRole role)
    {
        switch (name?.Trim().ToLowerInvariant())
        {
            case Admin: role = CrmRole.Admin; return true;
            case Marketer: role = CrmRole.Marketer; return true;
            case Viewer: role = CrmRole.Viewer; return true;
            default: role = CrmRole.Viewer; return false;
        }
    }

    /// <summary>
    /// The role configuration gives <paramref name="email"/>: the most powerful list it is on (admin over marketer over
    /// viewer), so that adding someone to a lower list never takes power away by accident; on none, the default.
    /// Whether the person may sign in at all is the allow-list's question, not this one's.
    /// </summary>
    public static CrmRole Resolve(
        string email, IEnumerable<string> adminEmails, IEnumerable<string> marketerEmails, IEnumerable<string> viewerEmails, CrmRole defaultRole)
    {
        var normalized = email.Trim();
        if (adminEmails.Contains(normalized, StringComparer.OrdinalIgnoreCase))
        {
            return CrmRole.Admin;
        }
        if (marketerEmails.Contains(normalized, StringComparer.OrdinalIgnoreCase))
        {
            return CrmRole.Marketer;
        }
        if (viewerEmails.Contains(normalized, StringComparer.OrdinalIgnoreCase))
        {
            return CrmRole.Viewer;
        }
        return defaultRole;
    }
}
