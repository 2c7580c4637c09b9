using System.Security.Claims;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Caching.Memory;
using Microsoft.Extensions.Options;
using XenoCrm.Core.ApiKeys;
using XenoCrm.Core.Data;
using XenoCrm.Web.ApiKeys;

namespace XenoCrm.Web.Authentication;

public static class ApiKeyAuthentication
{
    public const string Scheme = "ApiKey";
    public const string Policy = "ApiKey";
    public const string HeaderName = "X-Api-Key";

    /// <summary>The key's public prefix, by which the audit log names a machine caller (<c>api-key:&lt;prefix&gt;</c>).</summary>
    public const string PrefixClaim = "xenocrm:api-key-prefix";

    public static IHostApplicationBuilder AddApiKeyAuthentication(this IHostApplicationBuilder builder)
    {
        builder.Services.AddSingleton<ApiKeyValidator>();
        // AuthenticationHandler logs every failed and every challenged request at Information, a line or two per wrong
        // key; FailedAuthenticationThrottle logs them as counts per address instead.
        builder.Logging.AddFilter(typeof(ApiKeyAuthenticationHandler).FullName, LogLevel.Warning);
        builder.Services.AddAuthentication()
            .AddScheme<AuthenticationSchemeOptions, ApiKeyAuthenticationHandler>(Scheme, null);
        builder.Services.AddAuthorizationBuilder()
            .AddPolicy(Policy, p => p.AddAuthenticationSchemes(Scheme).RequireAuthenticatedUser());
        return builder;
    }
}

/// <summary>
/// Checks an API key against its stored hash. Answers are cached for half a minute so that the
/// ingestion hot path does not query the database per request; that is also the longest a
/// revoked key keeps working.
/// </summary>
public sealed class ApiKeyValidator(IServiceScopeFactory scopes, TimeProvider clock) : IDisposable
{
    /// <summary>Answers held at once. Wrong keys cost one entry each, so the cache has a size, and they go first when it is full.</summary>
    public const int MaxCachedAnswers = 10_000;

    private static readonly TimeSpan LastUsedResolution = TimeSpan.FromMinutes(1);

    private readonly MemoryCache _answers = new(new MemoryCacheOptions { SizeLimit = MaxCachedAnswers });

    public sealed record ValidKey(long Id, string Name, string Prefix);

    private sealed record CachedAnswer(ValidKey? Key);

    public async Task<ValidKey?> ValidateAsync(string presented, CancellationToken ct)
    {
        if (!ApiKeySecret.TryGetPrefix(presented, out var prefix))
        {
            return null;
        }
        // The cache is keyed by the hash, never the key itself, so no secret sits in memory longer than the request.
        var cacheKey = Convert.ToHexString(ApiKeySecret.HashOf(presented));
        if (_answers.TryGetValue(cacheKey, out CachedAnswer? cached))
        {
            return cached!.Key;
        }
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<CrmDbContext>();
        var row = await db.ApiKeys.AsNoTracking()
            .Where(k => k.Prefix == prefix)
            .Select(k => new { k.Id, k.Name, k.Hash, k.RevokedAt, k.LastUsedAt })
            .SingleOrDefaultAsync(ct);
        ValidKey? valid = null;
        if (row is not null && row.RevokedAt is null && ApiKeySecret.Matches(presented, row.Hash))
        {
            valid = new ValidKey(row.Id, row.Name, prefix);
            var now = clock.GetUtcNow().UtcDateTime;
            if (row.LastUsedAt is null || now - row.LastUsedAt > LastUsedResolution)
            {
                await db.ApiKeys.Where(k => k.Id == row.Id).ExecuteUpdateAsync(s => s.SetProperty(k => k.LastUsedAt, now), ct);
            }
        }
        // When the cache is full, the entry is not kept and a compaction makes room, wrong keys' answers first.
        _answers.Set(cacheKey, new CachedAnswer(valid), new MemoryCacheEntryOptions
        {
            Size = 1,
            AbsoluteExpirationRelativeToNow = ApiKeyStore.RevocationDelay,
            Priority = valid is null ? CacheItemPriority.Low : CacheItemPriority.Normal,
        });
        return valid;
    }

    public void Dispose() => _answers.Dispose();
}

/// <summary>
/// The <c>X-Api-Key</c> scheme. A client address that keeps presenting wrong keys is held back before its next key is
/// looked up (<see cref="FailedAuthenticationThrottle"/>), a right key included, so that guessing past the limit tells
/// nothing and costs nothing.
/// </summary>
public sealed class ApiKeyAuthenticationHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> options,
    ILoggerFactory logger,
    UrlEncoder encoder,
    ApiKeyValidator validator,
    FailedAuthenticationThrottle throttle) : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    private const string RetryAfterParameter = "retry-after";

    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        if (!Request.Headers.TryGetValue(ApiKeyAuthentication.HeaderName, out var values) || string.IsNullOrWhiteSpace(values))
        {
            return AuthenticateResult.NoResult();
        }
        if (throttle.IsThrottled(Context, out var retryAfter))
        {
            var held = new AuthenticationProperties();
            held.SetParameter(RetryAfterParameter, retryAfter);
            return AuthenticateResult.Fail("Too many failed authentication attempts from this address.", held);
        }
        var key = await validator.ValidateAsync(values.ToString().Trim(), Context.RequestAborted);
        if (key is null)
        {
            throttle.RecordFailure(Context, AuthenticationAttempt.ApiKey);
            return AuthenticateResult.Fail("The API key is unknown or revoked.");
        }
        var identity = new ClaimsIdentity(
            [new Claim(ClaimTypes.NameIdentifier, $"api-key:{key.Id}"), new Claim(ClaimTypes.Name, key.Name), new Claim(ApiKeyAuthentication.PrefixClaim, key.Prefix)],
            ApiKeyAuthentication.Scheme);
        return AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(identity), ApiKeyAuthentication.Scheme));
    }

    protected override async Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        if ((await HandleAuthenticateOnceSafeAsync()).Properties?.GetParameter<TimeSpan?>(RetryAfterParameter) is { } retryAfter)
        {
            await FailedAuthenticationThrottle.WriteTooManyAttemptsAsync(Context, retryAfter);
            return;
        }
        Response.StatusCode = StatusCodes.Status401Unauthorized;
        Response.Headers.WWWAuthenticate = $"{ApiKeyAuthentication.Scheme} header=\"{ApiKeyAuthentication.HeaderName}\"";
        await Results.Problem(
            statusCode: StatusCodes.Status401Unauthorized,
            title: "A valid API key is required.",
            detail: $"Send an API key in the {ApiKeyAuthentication.HeaderName} header. Keys are created with `XenoCrm.Web api-keys create NAME`.")
            .ExecuteAsync(Context);
    }
}
