using System.Net;
using Microsoft.AspNetCore.Http;
using XenoCrm.IntegrationTests.Infrastructure;

namespace XenoCrm.IntegrationTests.Security;

/// <summary>
/// The Hangfire dashboard is for admins wherever they are: Hangfire's local-requests-only filter is
/// gone, so where a request seems to come from (its address, or forwarding headers anyone can
/// write) must decide nothing.
/// </summary>
[Collection(SharedServersDefinition.Name)]
public sealed class HangfireAccessTests(DevelopmentSignInFixture fixture) : IClassFixture<DevelopmentSignInFixture>
{
    private static readonly (string Address, string ForwardedFor, string ForwardedHost)[] Origins =
    [
        ("203.0.113.7", "203.0.113.7", "crm.example.net"),
        ("203.0.113.7", "127.0.0.1", "localhost"),
        ("127.0.0.1", "127.0.0.1", "localhost"),
        ("::1", "::1", "localhost"),
    ];

    [Fact]
    public async Task HangfireDashboard_AnswersAnAdmin_FromARemoteAddress()
    {
        using var admin = await fixture.SignedInBrowserAsync(InProcessWeb.AdminEmail);

        var response = await RequestDashboardAsync(admin.CookieHeader, "203.0.113.7", "203.0.113.7", "crm.example.net");

        Assert.True(response.StatusCode == StatusCodes.Status200OK, $"The dashboard answered a remote admin {response.StatusCode} {response.Headers.Location}");
        Assert.Contains("XenoCrm jobs", await new StreamReader(response.Body).ReadToEndAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task HangfireDashboard_RefusesANonAdmin_WhateverAddressOrForwardingHeadersItClaims()
    {
        using var member = await fixture.SignedInBrowserAsync(DevelopmentSignInFixture.MemberEmail);

        var failures = new List<string>();
        foreach (var (address, forwardedFor, forwardedHost) in Origins)
        {
            var response = await RequestDashboardAsync(member.CookieHeader, address, forwardedFor, forwardedHost);
            var refused = response.StatusCode == StatusCodes.Status403Forbidden
                || response.StatusCode == StatusCodes.Status302Found && response.Headers.Location.ToString().Contains("/account/denied", StringComparison.Ordinal);
            if (!refused)
            {
                failures.Add($"from {address} claiming {forwardedFor} / {forwardedHost}: {response.StatusCode} {response.Headers.Location}");
            }
        }

        Assert.True(failures.Count == 0, "The dashboard answered a non-admin:\n" + string.Join('\n', failures));
    }

    [Fact]
    public async Task HangfireDashboard_SendsAnAnonymousCallerToSignIn_EvenFromLoopback()
    {
        var failures = new List<string>();
        foreach (var (address, forwardedFor, forwardedHost) in Origins)
        {
            var response = await RequestDashboardAsync(cookieHeader: null, address, forwardedFor, forwardedHost);
            if (response.StatusCode != StatusCodes.Status302Found || !response.Headers.Location.ToString().Contains("/account/signin", StringComparison.Ordinal))
            {
                failures.Add($"from {address} claiming {forwardedFor} / {forwardedHost}: {response.StatusCode} {response.Headers.Location}");
            }
        }

        Assert.True(failures.Count == 0, "The dashboard answered an anonymous caller:\n" + string.Join('\n', failures));
    }

    /// <summary>GET /hangfire with the connection's remote address set, which a client cannot choose.</summary>
    private async Task<HttpResponse> RequestDashboardAsync(string? cookieHeader, string address, string forwardedFor, string forwardedHost)
    {
        var context = await fixture.Web.Server.SendAsync(http =>
        {
            http.Request.Method = HttpMethods.Get;
            http.Request.Path = "/hangfire";
            http.Connection.RemoteIpAddress = IPAddress.Parse(address);
            http.Request.Headers.Accept = "text/html";
            http.Request.Headers["X-Forwarded-For"] = forwardedFor;
            http.Request.Headers["X-Forwarded-Host"] = forwardedHost;
            http.Request.Headers["X-Forwarded-Proto"] = "https";
            if (cookieHeader is not null)
            {
                http.Request.Headers.Cookie = cookieHeader;
            }
        });
        return context.Response;
    }
}
