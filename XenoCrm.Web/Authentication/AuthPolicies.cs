
namespace XenoCrm.Web.Authentication;

public static class AuthPolicies
{
    /// <summary>Admins alone see the Hangfire dashboard and manage API keys.</summary>
    public const string Admin = "Admin";
    public const string AdminRole = "admin";
}
