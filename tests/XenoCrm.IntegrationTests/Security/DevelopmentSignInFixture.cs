using XenoCrm.IntegrationTests.Infrastructure;

namespace XenoCrm.IntegrationTests.Security;

/// <summary>XenoCrm.Web in the distributed mode with the development sign-in turned on explicitly, as a test server would run.</summary>
public sealed class DevelopmentSignInFixture(SharedServers servers) : IAsyncLifetime
{
    public const string MemberEmail = "member@shop.test";

    public InProcessWeb Web { get; private set; } = null!;

    public async Task InitializeAsync() =>
        Web = await InProcessWeb.StartAsync(servers, new Dictionary<string, string> { ["Auth:DevelopmentSignIn"] = "true" });

    /// <summary>A new browser with a session for <paramref name="email"/>.</summary>
    public async Task<CrmBrowser> SignedInBrowserAsync(string email)
    {
        var browser = Web.NewBrowser();
        try
        {
            await browser.SignInAsync(email);
            return browser;
        }
        catch
        {
            browser.Dispose();
            throw;
        }
    }

    public async Task DisposeAsync()
    {
        if (Web is not null)
        {
            await Web.DisposeAsync();
        }
    }
}
