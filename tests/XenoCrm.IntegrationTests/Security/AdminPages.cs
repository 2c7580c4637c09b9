using System.Net;

namespace XenoCrm.IntegrationTests.Security;

/// <summary>The pages only admins may see, and what everyone else gets instead.</summary>
internal static class AdminPages
{
    public static readonly string[] Paths = ["/hangfire", "/settings/apikeys", "/settings/audit", "/system"];

    /// <summary>A signed-in non-admin is sent to the denied page (or answered 403), never shown the page.</summary>
    public static void AssertRefusedToMember(string page, HttpResponseMessage response)
    {
        var refused = response.StatusCode == HttpStatusCode.Forbidden
            || response.StatusCode == HttpStatusCode.Redirect && PathOf(response.Headers.Location) == "/account/denied";
        Assert.True(refused, $"GET {page} as a signed-in non-admin answered {(int)response.StatusCode} {response.Headers.Location}");
    }

    /// <summary>An anonymous browser is sent to the sign-in page.</summary>
    public static void AssertSentToSignIn(string request, HttpResponseMessage response) =>
        Assert.True(response.StatusCode == HttpStatusCode.Redirect && PathOf(response.Headers.Location) == "/account/signin",
            $"{request} answered {(int)response.StatusCode} {response.Headers.Location}, not a redirect to /account/signin");

    /// <summary>The path of a redirect's Location, whether the app wrote it absolute or relative.</summary>
    public static string? PathOf(Uri? location) => location switch
    {
        null => null,
        { IsAbsoluteUri: true } => location.AbsolutePath,
        _ => location.OriginalString.Split('?', 2)[0],
    };
}
