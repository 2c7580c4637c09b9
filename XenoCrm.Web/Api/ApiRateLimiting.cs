using System.ComponentModel.DataAnnotations;
using System.Globalization;
using System.Security.Claims;
using System.Threading.RateLimiting;

namespace XenoCrm.Web.Api;

/// <summary>
/// Section <c>RateLimit</c>: <code>{ "RateLimit": { "PermitsPerSecond": 1000, "Burst": 2000 } }</code>
/// </summary>
public sealed class RateLimitOptions
{
    public const string Section = "RateLimit";

    [Range(1, 1_000_000)]
    public int PermitsPerSecond { get; set; } = 1000;

    [Range(1, 1_000_000)]
    public int Burst { get; set; } = 2000;
}

public static class ApiRateLimiting
{
    public const string Policy = "per-api-key";

    /// <summary>
    /// A token bucket per API key; 429 with Retry-After past it. The limiter runs after authorization, so it only ever
    /// sees callers with a valid key: wrong keys are held back per client address before they are looked up, by
    /// <see cref="Authentication.FailedAuthenticationThrottle"/>.
    /// </summary>
    public static IHostApplicationBuilder AddApiRateLimiting(this IHostApplicationBuilder builder)
    {
        var options = builder.Configuration.GetSection(RateLimitOptions.Section).Get<RateLimitOptions>() ?? new RateLimitOptions();
        Validator.ValidateObject(options, new ValidationContext(options), validateAllProperties: true);
        builder.Services.AddRateLimiter(limiter =>
        {
            limiter.RejectionStatusCode = StatusCodes.Status429TooManyRequests;
            limiter.AddPolicy(Policy, http => RateLimitPartition.GetTokenBucketLimiter(
                http.User.FindFirstValue(ClaimTypes.NameIdentifier) ?? "address:" + http.Connection.RemoteIpAddress,
                _ => new TokenBucketRateLimiterOptions
                {
                    TokenLimit = options.Burst,
                    TokensPerPeriod = options.PermitsPerSecond,
                    ReplenishmentPeriod = TimeSpan.FromSeconds(1),
                    QueueLimit = 0,
                    AutoReplenishment = true,
                }));
            limiter.OnRejected = async (context, ct) =>
            {
                var retryAfter = context.Lease.TryGetMetadata(MetadataName.RetryAfter, out var wait) ? Math.Max(1, (int)Math.Ceiling(wait.TotalSeconds)) : 1;
                context.HttpContext.Response.Headers.RetryAfter = retryAfter.ToString(CultureInfo.InvariantCulture);
                await Results.Problem(statusCode: StatusCodes.Status429TooManyRequests, title: "Too many requests for this API key.",
                    detail: $"Retry after {retryAfter} s, or send records in batches of up to 1,000.").ExecuteAsync(context.HttpContext);
            };
        });
        return builder;
    }
}
