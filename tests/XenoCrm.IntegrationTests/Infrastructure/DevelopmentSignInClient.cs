using System.Net;

namespace XenoCrm.IntegrationTests.Infrastructure;

/// <summary>A client of a XenoCrm.Web process signed in through the development sign-in form, as a person would.</summary>
public static class DevelopmentSignInClient
{
    /// <summary>Signs <paramref name="email"/> in and returns a client that keeps the session, asks for pages and follows no redirect.</summary>
    public static async Task<HttpClient> CreateAsync(Uri web, string email)
    {
        var client = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false, CookieContainer = new CookieContainer() }) { BaseAddress = web };
        client.DefaultRequestHeaders.Accept.ParseAdd("text/html");
        var form = await client.GetStringAsync("/account/signin");
        using var signIn = await client.PostAsync("/account/signin",
            new FormUrlEncodedContent([new("Email", email), new("__RequestVerificationToken", CrmBrowser.AntiforgeryToken(form))]));
        Assert.True(signIn.StatusCode == HttpStatusCode.Redirect, $"Signing in as {email}: {(int)signIn.StatusCode} {await signIn.Content.ReadAsStringAsync()}");
        return client;
    }
}
