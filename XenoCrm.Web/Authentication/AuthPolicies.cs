using XenoCrm.Core.Sessions;

namespace XenoCrm.Web.Authentication;

/// <summary>
/// What each role may reach. Every signed-in person may read (the fallback policy); <see cref="Marketer"/> writes,
/// sends and exports; <see cref="Admin"/> alone runs the machinery (API keys, dead letters, the System page, the jobs
/// dashboard, everyone's sessions).
/// </summary>
public static class AuthPolicies
{
    public const string Admin = "Admin";

    /// <summary>Marketers and admins: segment and campaign writes, sends, schedules, cancels, retries, exports.</summary>
    public const string Marketer = "Marketer";

    public const string AdminRole = CrmRoles.Admin;
}
