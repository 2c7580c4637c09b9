using System.Net;
using Microsoft.AspNetCore.Authentication.Google;
using Microsoft.Extensions.DependencyInjection;
using XenoCrm.IntegrationTests.Infrastructure;

namespace XenoCrm.IntegrationTests.Security;

/// <summary>
/// XenoCrm.Web with Google sign-in (and no development sign-in), its Google being a
/// <see cref="FakeGoogleProvider"/> on a loopback port.
/// </summary>
public sealed class GoogleSignInFixture(SharedServers servers) : IAsyncLifetime
{
    /// <summary>Allowed by address, although its domain is not.</summary>
    public const string AllowedEmail = "partner@gmail.test";

    public FakeGoogleProvider Google { get; private set; } = null!;
    public InProcessWeb Web { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Google = await FakeGoogleProvider.StartAsync();
        Web = await InProcessWeb.StartAsync(servers, new Dictionary<string, string>
        {
            ["Auth:Google:ClientId"] = FakeGoogleProvider.ClientId,
            ["Auth:Google:ClientSecret"] = FakeGoogleProvider.ClientSecret,
            ["Auth:AllowedEmails:0"] = AllowedEmail,
        }, services => services.PostConfigure<GoogleOptions>(GoogleDefaults.AuthenticationScheme, google =>
        {
            google.AuthorizationEndpoint = Google.AuthorizationEndpoint;
            google.TokenEndpoint = Google.TokenEndpoint;
            google.UserInformationEndpoint = Google.UserInformationEndpoint;
        }));
    }

    /// <summary>
    /// Walks the whole Google flow in <paramref name="browser"/>: the sign-in link, Google's account
    /// chooser (where the person picks <paramref name="account"/>), and back to the app's callback.
    /// </summary>
    /// <param name="forgedQuery">Added, as an attacker would, to both the authorize request and the callback (e.g. <c>hd=shop.test</c>).</param>
    /// <param name="returnUrl">Where the sign-in link asks to go afterwards.</param>
    /// <returns>The app's answer to the callback.</returns>
    public async Task<HttpResponseMessage> SignInWithGoogleAsync(
        CrmBrowser browser, GoogleAccount account, string? forgedQuery = null, string returnUrl = "/account/signout")
    {
        ArgumentNullException.ThrowIfNull(browser);
        string authorizeUrl;
        using (var challenge = await browser.GetAsync("/account/signin?handler=Google&returnUrl=" + Uri.EscapeDataString(returnUrl)))
        {
            Assert.Equal(HttpStatusCode.Redirect, challenge.StatusCode);
            authorizeUrl = challenge.Headers.Location!.ToString();
        }
        Assert.StartsWith(Google.AuthorizationEndpoint + "?", authorizeUrl, StringComparison.Ordinal);

        authorizeUrl += $"&{FakeGoogleProvider.AccountParameter}={Google.Offer(account)}" + (forgedQuery is null ? "" : "&" + forgedQuery);
        using var toGoogle = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false, UseCookies = false });
        string callbackUrl;
        using (var chooser = await toGoogle.GetAsync(new Uri(authorizeUrl)))
        {
            Assert.True(chooser.StatusCode == HttpStatusCode.Redirect,
                $"The fake Google answered {(int)chooser.StatusCode}: {string.Join("; ", Google.Problems)}");
            callbackUrl = chooser.Headers.Location!.ToString();
        }
        Assert.StartsWith("http://localhost/account/google-callback?", callbackUrl, StringComparison.Ordinal);

        return await browser.GetAsync(callbackUrl + (forgedQuery is null ? "" : "&" + forgedQuery));
    }

    public async Task DisposeAsync()
    {
        if (Web is not null)
        {
            await Web.DisposeAsync();
        }
        if (Google is not null)
        {
            await Google.DisposeAsync();
        }
    }
}
