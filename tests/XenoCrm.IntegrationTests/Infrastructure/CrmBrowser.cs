using System.Net;
using System.Net.Http.Headers;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Mvc.Testing.Handlers;
using Microsoft.AspNetCore.TestHost;

namespace XenoCrm.IntegrationTests.Infrastructure;

/// <summary>
/// A browser on an in-process XenoCrm.Web: it keeps cookies and sends <c>Accept: text/html</c>,
/// but follows no redirect, so that a test walks each hop (and each hop's cookies) itself.
/// </summary>
public sealed partial class CrmBrowser : IDisposable
{
    public const string SessionCookie = "xenocrm.session";
    public static readonly Uri Origin = new("http://localhost/");

    private readonly HttpClient _http;

    internal CrmBrowser(TestServer server)
    {
        _http = new HttpClient(new CookieContainerHandler(Cookies) { InnerHandler = server.CreateHandler() }) { BaseAddress = Origin };
        _http.DefaultRequestHeaders.Accept.Add(new MediaTypeWithQualityHeaderValue("text/html"));
    }

    public CookieContainer Cookies { get; } = new();

    /// <summary>Whether the app has given this browser a session cookie (or a chunk of one).</summary>
    public bool HasSession => Cookies.GetAllCookies().Any(c => c.Name.StartsWith(SessionCookie, StringComparison.Ordinal) && !c.Expired);

    /// <summary>The Cookie header this browser would send to the app.</summary>
    public string CookieHeader => Cookies.GetCookieHeader(Origin);

    public Task<HttpResponseMessage> GetAsync(string pathOrUrl) => _http.GetAsync(new Uri(Origin, pathOrUrl));

    public Task<HttpResponseMessage> SendAsync(HttpRequestMessage request) => _http.SendAsync(request);

    public Task<HttpResponseMessage> PostFormAsync(string path, IEnumerable<KeyValuePair<string, string>> fields) =>
        _http.PostAsync(new Uri(Origin, path), new FormUrlEncodedContent(fields));

    /// <summary>
    /// Signs in through the development sign-in form as a person would: reads the form's
    /// anti-forgery token from the sign-in page and posts the email with it.
    /// </summary>
    /// <returns>The answer to the form's POST.</returns>
    public async Task<HttpResponseMessage> SignInWithDevelopmentFormAsync(string email)
    {
        using var page = await GetAsync("/account/signin");
        var html = await page.Content.ReadAsStringAsync();
        Assert.True(page.StatusCode == HttpStatusCode.OK, $"GET /account/signin answered {(int)page.StatusCode}: {html}");
        return await PostFormAsync("/account/signin", [new("Email", email), new("__RequestVerificationToken", AntiforgeryToken(html))]);
    }

    /// <summary>Signs in with the development sign-in and asserts that a session began.</summary>
    public async Task SignInAsync(string email)
    {
        using var response = await SignInWithDevelopmentFormAsync(email);
        Assert.True(response.StatusCode == HttpStatusCode.Redirect && HasSession,
            $"Signing in as {email} answered {(int)response.StatusCode} {response.Headers.Location} and {(HasSession ? "a" : "no")} session: {await response.Content.ReadAsStringAsync()}");
    }

    /// <summary>The anti-forgery token of the first form in <paramref name="html"/>.</summary>
    public static string AntiforgeryToken(string html)
    {
        var match = AntiforgeryField().Match(html);
        Assert.True(match.Success, $"The page has no __RequestVerificationToken field:\n{html}");
        return WebUtility.HtmlDecode(match.Groups["token"].Value);
    }

    [GeneratedRegex("""<input[^>]*name="__RequestVerificationToken"[^>]*value="(?<token>[^"]+)"|<input[^>]*value="(?<token>[^"]+)"[^>]*name="__RequestVerificationToken""")]
    private static partial Regex AntiforgeryField();

    public void Dispose() => _http.Dispose();
}
