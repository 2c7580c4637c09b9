using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Extensions.Logging;
using XenoCrm.TestServers;

namespace XenoCrm.IntegrationTests.Infrastructure;

/// <summary>One Google account as the user-info endpoint describes it; <see cref="HostedDomain"/> is Google's <c>hd</c>.</summary>
public sealed record GoogleAccount(string Email, bool EmailVerified, string? HostedDomain, string Name = "Test Person")
{
    public string Subject { get; } = Guid.NewGuid().ToString("N");
}

/// <summary>
/// Google's three OAuth endpoints, faked on a loopback port so the sign-in flow runs end to end
/// without Google: <c>/authorize</c> stands for the account chooser (the test says which account
/// the person picks), <c>/token</c> checks the client credentials, redirect URI and PKCE verifier
/// as Google does, and <c>/userinfo</c> answers for the bearer token's account. Whatever the
/// browser adds to these requests (an <c>hd</c> parameter, say) never changes what
/// <c>/userinfo</c> says.
/// </summary>
public sealed class FakeGoogleProvider : IAsyncDisposable
{
    public const string ClientId = "xenocrm-tests.apps.googleusercontent.com";
    public const string ClientSecret = "not-a-real-google-secret";

    /// <summary>The query parameter the test adds to the authorize URL to pick an account, as a person would click one.</summary>
    public const string AccountParameter = "test_account";

    private readonly WebApplication _app;
    private readonly ConcurrentDictionary<string, GoogleAccount> _accounts = new();
    private readonly ConcurrentDictionary<string, Grant> _codes = new();
    private readonly ConcurrentDictionary<string, GoogleAccount> _accessTokens = new();
    private readonly ConcurrentQueue<string> _problems = new();

    private sealed record Grant(GoogleAccount Account, string RedirectUri, string? CodeChallenge);

    private FakeGoogleProvider(WebApplication app, Uri baseAddress)
    {
        _app = app;
        BaseAddress = baseAddress;
    }

    public Uri BaseAddress { get; }
    public string AuthorizationEndpoint => new Uri(BaseAddress, "/authorize").ToString();
    public string TokenEndpoint => new Uri(BaseAddress, "/token").ToString();
    public string UserInformationEndpoint => new Uri(BaseAddress, "/userinfo").ToString();

    /// <summary>Requests the fake refused, and why: a sign-in that failed because of one shows up here.</summary>
    public IReadOnlyCollection<string> Problems => _problems.ToArray();

    public static async Task<FakeGoogleProvider> StartAsync()
    {
        var port = FreePort.Next();
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { EnvironmentName = "Production", ContentRootPath = AppContext.BaseDirectory });
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls($"http://127.0.0.1:{port}");
        var app = builder.Build();
        var provider = new FakeGoogleProvider(app, new Uri($"http://127.0.0.1:{port}"));
        app.MapGet("/authorize", provider.Authorize);
        app.MapPost("/token", provider.TokenAsync);
        app.MapGet("/userinfo", provider.UserInfo);
        await app.StartAsync();
        return provider;
    }

    /// <summary>Makes <paramref name="account"/> one the account chooser offers; returns the value of <see cref="AccountParameter"/> that picks it.</summary>
    public string Offer(GoogleAccount account)
    {
        _accounts[account.Subject] = account;
        return account.Subject;
    }

    private IResult Authorize(HttpRequest request)
    {
        var query = request.Query;
        if (query["client_id"] != ClientId || query["response_type"] != "code" || string.IsNullOrEmpty(query["redirect_uri"]) || string.IsNullOrEmpty(query["state"]))
        {
            return Refuse($"authorize: bad request {request.QueryString}");
        }
        if (!_accounts.TryGetValue(query[AccountParameter].ToString(), out var account))
        {
            return Refuse($"authorize: no account picked ({AccountParameter}) in {request.QueryString}");
        }
        if (query["code_challenge_method"] is { Count: > 0 } method && method != "S256")
        {
            return Refuse($"authorize: unsupported code_challenge_method {method}");
        }
        var code = "code-" + Guid.NewGuid().ToString("N");
        var redirectUri = query["redirect_uri"].ToString();
        _codes[code] = new Grant(account, redirectUri, query["code_challenge"].FirstOrDefault());
        return Results.Redirect(QueryHelpers.AddQueryString(redirectUri, new Dictionary<string, string?> { ["code"] = code, ["state"] = query["state"] }));
    }

    private async Task<IResult> TokenAsync(HttpRequest request)
    {
        var form = await request.ReadFormAsync();
        var (clientId, clientSecret) = ClientCredentials(request, form);
        if (clientId != ClientId || clientSecret != ClientSecret)
        {
            return Refuse($"token: wrong client credentials ({clientId})", "invalid_client");
        }
        if (form["grant_type"] != "authorization_code" || !_codes.TryRemove(form["code"].ToString(), out var grant))
        {
            return Refuse($"token: unknown or reused code, grant_type {form["grant_type"]}", "invalid_grant");
        }
        if (form["redirect_uri"] != grant.RedirectUri)
        {
            return Refuse($"token: redirect_uri {form["redirect_uri"]} is not the authorized {grant.RedirectUri}", "invalid_grant");
        }
        if (grant.CodeChallenge is not null && !MatchesChallenge(form["code_verifier"].ToString(), grant.CodeChallenge))
        {
            return Refuse("token: the PKCE code_verifier does not match the code_challenge", "invalid_grant");
        }
        var accessToken = "token-" + Guid.NewGuid().ToString("N");
        _accessTokens[accessToken] = grant.Account;
        return Results.Json(new { access_token = accessToken, token_type = "Bearer", expires_in = 3599, scope = "openid email profile" });
    }

    private IResult UserInfo(HttpRequest request)
    {
        var authorization = request.Headers.Authorization.ToString();
        if (!authorization.StartsWith("Bearer ", StringComparison.Ordinal) || !_accessTokens.TryGetValue(authorization["Bearer ".Length..], out var account))
        {
            _problems.Enqueue("userinfo: no valid bearer token");
            return Results.Unauthorized();
        }
        var user = new Dictionary<string, object>
        {
            ["sub"] = account.Subject,
            ["email"] = account.Email,
            ["email_verified"] = account.EmailVerified,
            ["name"] = account.Name,
        };
        if (account.HostedDomain is not null)
        {
            user["hd"] = account.HostedDomain;
        }
        return Results.Json(user);
    }

    private static (string? Id, string? Secret) ClientCredentials(HttpRequest request, IFormCollection form)
    {
        var authorization = request.Headers.Authorization.ToString();
        if (authorization.StartsWith("Basic ", StringComparison.Ordinal))
        {
            var pair = Encoding.UTF8.GetString(Convert.FromBase64String(authorization["Basic ".Length..])).Split(':', 2);
            return (Uri.UnescapeDataString(pair[0]), pair.Length == 2 ? Uri.UnescapeDataString(pair[1]) : null);
        }
        return (form["client_id"], form["client_secret"]);
    }

    private static bool MatchesChallenge(string verifier, string challenge) =>
        verifier.Length > 0 && WebEncoders.Base64UrlEncode(SHA256.HashData(Encoding.ASCII.GetBytes(verifier))) == challenge;

    private IResult Refuse(string problem, string error = "invalid_request")
    {
        _problems.Enqueue(problem);
        return Results.Json(new { error }, statusCode: StatusCodes.Status400BadRequest);
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
