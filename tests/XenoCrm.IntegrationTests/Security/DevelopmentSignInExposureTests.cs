using System.Globalization;
using System.Net;
using System.Text.RegularExpressions;
using XenoCrm.IntegrationTests.Infrastructure;
using XenoCrm.TestServers;

namespace XenoCrm.IntegrationTests.Security;

/// <summary>
/// The embedded try-out's development sign-in (an email, no password; <c>admin@example.com</c> an admin) must not
/// reach beyond this machine: off loopback, XenoCrm.Web refuses to start unless the operator turns it on explicitly,
/// and then it says so loudly and never prefills an address.
/// </summary>
public sealed partial class DevelopmentSignInExposureTests : IDisposable
{
    private readonly TempFolder _folder = new("xenocrm-exposure-");

    public void Dispose() => _folder.Dispose();

    /// <summary>Every way an operator tells Kestrel where to listen, each with an address other machines reach.</summary>
    [Theory]
    [InlineData("--urls", "http://0.0.0.0:{0}")]
    [InlineData("--urls", "http://127.0.0.1:{0};http://[::]:{1}")]
    [InlineData("--urls", "http://xenocrm.example:{0}")]
    [InlineData("ASPNETCORE_URLS", "http://*:{0}")]
    [InlineData("ASPNETCORE_HTTP_PORTS", "{0}")] // what the .NET container images set: `docker run` of the Web image
    [InlineData("Kestrel__Endpoints__Web__Url", "http://+:{0}")]
    public async Task EmbeddedWeb_ExitsNamingAuthDevelopmentSignIn_WhenItListensBeyondLoopback(string setting, string addresses)
    {
        var value = string.Format(CultureInfo.InvariantCulture, addresses, FreePort.Next(), FreePort.Next());
        var environment = EmbeddedWeb.NoConfiguration();
        string[] args = [];
        if (setting == "--urls")
        {
            args = ["--urls", value];
        }
        else
        {
            environment[setting] = value;
        }
        await using var web = AppProcess.StartIn(_folder.Path, "XenoCrm.Web", environment, args);

        var exitCode = await web.WaitForExitAsync(TimeSpan.FromSeconds(60));

        Assert.True(exitCode != 0, $"XenoCrm.Web listening on {value} exited with 0:\n{web.Output}");
        Assert.Contains("Auth:DevelopmentSignIn", web.Output, StringComparison.Ordinal);
        Assert.Contains("which other machines can reach", web.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task EmbeddedWeb_ExitsNamingTheAllowList_WhenDevelopmentSignInIsExplicitBeyondLoopbackWithoutOne()
    {
        // The built-in allow-list would make admin@example.com, which every reader of the README knows, an admin.
        var environment = EmbeddedWeb.NoConfiguration();
        environment["Auth__DevelopmentSignIn"] = "true";
        await using var web = AppProcess.StartIn(_folder.Path, "XenoCrm.Web", environment, "--urls", $"http://0.0.0.0:{FreePort.Next()}");

        var exitCode = await web.WaitForExitAsync(TimeSpan.FromSeconds(60));

        Assert.True(exitCode != 0, $"XenoCrm.Web exited with 0:\n{web.Output}");
        Assert.Contains("Auth:AllowedDomains", web.Output, StringComparison.Ordinal);
    }

    /// <summary>
    /// The same explicit configuration, the demo's allow-list included, on loopback and beyond it: only the binding
    /// decides whether the page offers the demo admin's address and whether it shouts.
    /// </summary>
    [Theory]
    [InlineData("127.0.0.1", false)]
    [InlineData("0.0.0.0", true)]
    public async Task SignInPage_PrefillsNoAddressAndWarnsLoudly_OnlyWhenListeningBeyondLoopback(string host, bool exposed)
    {
        var port = FreePort.Next();
        var environment = EmbeddedWeb.NoConfiguration();
        environment["Auth__DevelopmentSignIn"] = "true";
        environment["Auth__AllowedDomains__0"] = "example.com";
        environment["Auth__AdminEmails__0"] = "admin@example.com";
        await using var web = AppProcess.StartIn(_folder.Path, "XenoCrm.Web", environment, "--urls", $"http://{host}:{port}");
        await web.WaitForHttpOkAsync($"http://127.0.0.1:{port}/health/live", TimeSpan.FromSeconds(60));
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}") };

        using var page = await http.GetAsync("/account/signin");
        var html = await page.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        var email = EmailInput().Match(html);
        Assert.True(email.Success, $"No Email input on the sign-in page:\n{html}");
        if (exposed)
        {
            Assert.DoesNotMatch("value=\"[^\"]+\"", email.Value);
            Assert.DoesNotContain("admin@example.com", html, StringComparison.Ordinal);
            Assert.Contains("id=\"development-signin-exposed\"", html, StringComparison.Ordinal);
            Assert.Contains("DEVELOPMENT SIGN-IN IS ON AND THIS SERVER LISTENS BEYOND LOOPBACK", web.Output, StringComparison.Ordinal);
        }
        else
        {
            Assert.Contains("value=\"admin@example.com\"", email.Value, StringComparison.Ordinal);
            Assert.DoesNotContain("id=\"development-signin-exposed\"", html, StringComparison.Ordinal);
            Assert.DoesNotContain("LISTENS BEYOND LOOPBACK", web.Output, StringComparison.Ordinal);
        }
    }


    [GeneratedRegex("""<input[^>]*name="Email"[^>]*>""")]
    private static partial Regex EmailInput();
}
