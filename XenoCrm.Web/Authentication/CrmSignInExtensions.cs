namespace XenoCrm.Web.Authentication;

public static class CrmSignInExtensions
{
    /// <summary>
    /// Who may come in: people through Google (or the development sign-in) with a cookie whose keys every Web instance
    /// shares, and machines through API keys; a client address that keeps failing either is held back;
    /// cookies, HSTS and client addresses follow the transport, directly or through a trusted proxy.
    /// </summary>
    public static IHostApplicationBuilder AddCrmSignIn(this IHostApplicationBuilder builder) => builder
        .AddSharedDataProtection()
        .AddCrmAuthentication()
        .AddApiKeyAuthentication()
        .AddFailedAuthenticationThrottle()
        .AddTransportSecurity();
}
