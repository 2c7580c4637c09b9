using System.Collections.Concurrent;
using System.ComponentModel.DataAnnotations;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Threading.RateLimiting;
using Microsoft.Extensions.Options;
using XenoCrm.ServiceDefaults;

namespace XenoCrm.Web.Authentication;

/// <summary>
/// Section <c>FailedAuthentication</c>: <code>{ "FailedAuthentication": { "Limit": 10, "Window": "00:01:00" } }</code>
/// </summary>
public sealed class FailedAuthenticationOptions
{
    public const string Section = "FailedAuthentication";

    /// <summary>Wrong API keys and refused sign-ins a client address may have per window before it must wait.</summary>
    [Range(1, 10_000)]
    public int Limit { get; set; } = 10;

    [Range(typeof(TimeSpan), "00:00:01", "1.00:00:00")]
    public TimeSpan Window { get; set; } = TimeSpan.FromMinutes(1);
}

public enum AuthenticationAttempt
{
    ApiKey,
    SignIn,
}

public static class FailedAuthenticationThrottleExtensions
{
    public static IHostApplicationBuilder AddFailedAuthenticationThrottle(this IHostApplicationBuilder builder)
    {
        builder.AddValidatedOptions<FailedAuthenticationOptions>(FailedAuthenticationOptions.Section);
        builder.Services.AddSingleton<FailedAuthenticationThrottle>();
        return builder;
    }
}

/// <summary>
/// Holds back a client address that keeps failing to authenticate (wrong API keys, refused sign-ins): past
/// <see cref="FailedAuthenticationOptions.Limit"/> failures in a window, every attempt from it, right or wrong, is
/// answered 429 before any key is looked up, until the window ends. Each tracked address has its own fixed-window
/// limiter; failures are logged as counts, once per address and window, never per attempt and never with the key.
/// </summary>
/// <remarks>
/// Not ASP.NET Core's <c>PartitionedRateLimiter</c>: it creates a partition for every key it is asked about and keeps
/// it until it has been idle for a while, so checking every API request would track every client, and a flood from
/// many addresses would grow it without bound. Here only addresses that failed are tracked, at most
/// <see cref="MaxTrackedAddresses"/> of them; failures from further addresses are counted together but not held back,
/// which keeps memory bounded when a flood from that many addresses is the network edge's job anyway.
/// </remarks>
public sealed class FailedAuthenticationThrottle : IDisposable
{
    public const int MaxTrackedAddresses = 10_000;

    // The end-of-window summary names the worst addresses only, so that a flood writes a bounded number of lines.
    private const int MaxSummaryLines = 20;

    private readonly ConcurrentDictionary<string, AddressFailures> _addresses = new();
    private readonly FixedWindowRateLimiterOptions _limit;
    private readonly TimeSpan _window;
    private readonly ITimer _summaryTimer;
    private readonly ILogger<FailedAuthenticationThrottle> _logger;
    private long _untrackedFailures;

    public FailedAuthenticationThrottle(IOptions<FailedAuthenticationOptions> options, TimeProvider clock, ILogger<FailedAuthenticationThrottle> logger)
    {
        _window = options.Value.Window;
        // Replenished by each use instead of a timer per address: a window starts with the first attempt after the last one ended.
        _limit = new FixedWindowRateLimiterOptions { PermitLimit = options.Value.Limit, Window = _window, QueueLimit = 0, AutoReplenishment = false };
        _logger = logger;
        _summaryTimer = clock.CreateTimer(_ => Summarize(), null, _window, _window);
    }

    /// <summary>Before any key is looked up or any sign-in is tried: whether this client must wait, and how long.</summary>
    public bool IsThrottled(HttpContext http, out TimeSpan retryAfter) => IsThrottled(http, out retryAfter, out _);

    /// <param name="firstRefusal">Whether this is the address's first refusal in the window, the one the log (and the audit log) records.</param>
    public bool IsThrottled(HttpContext http, out TimeSpan retryAfter, out bool firstRefusal)
    {
        retryAfter = TimeSpan.Zero;
        firstRefusal = false;
        var address = AddressOf(http);
        if (!_addresses.TryGetValue(address, out var failures) || !failures.IsThrottled(out retryAfter))
        {
            return false;
        }
        firstRefusal = failures.FirstRefusalThisWindow();
        if (firstRefusal)
        {
            _logger.LogWarning("Refusing authentication from {Address} for up to {RetryAfter} s: {Limit} failed attempts within {Window}",
                address, Seconds(retryAfter), _limit.PermitLimit, _window);
        }
        return true;
    }

    public void RecordFailure(HttpContext http, AuthenticationAttempt attempt)
    {
        var address = AddressOf(http);
        if (!_addresses.TryGetValue(address, out var failures))
        {
            if (_addresses.Count >= MaxTrackedAddresses)
            {
                Interlocked.Increment(ref _untrackedFailures);
                return;
            }
            failures = _addresses.GetOrAdd(address, _ => new AddressFailures(_limit));
        }
        failures.Fail(attempt);
    }

    /// <summary>The answer to a held-back client: 429, <c>Retry-After</c>, and a problem document.</summary>
    public static Task WriteTooManyAttemptsAsync(HttpContext http, TimeSpan retryAfter)
    {
        var seconds = Seconds(retryAfter);
        http.Response.Headers.RetryAfter = seconds.ToString(CultureInfo.InvariantCulture);
        return Results.Problem(
            statusCode: StatusCodes.Status429TooManyRequests,
            title: "Too many failed authentication attempts from this address.",
            detail: $"Retry after {seconds} s with a valid API key or an allowed email.")
            .ExecuteAsync(http);
    }

    public void Dispose()
    {
        _summaryTimer.Dispose();
        foreach (var failures in _addresses.Values)
        {
            failures.Dispose();
        }
    }

    /// <summary>
    /// One line per address with failures in the window that just ended, the worst first, then forgets the addresses
    /// that had none: they are throttled no longer (a whole window has passed since their last failure).
    /// </summary>
    private void Summarize()
    {
        var active = new List<(string Address, AddressFailures.Counts Counts)>();
        foreach (var (address, failures) in _addresses)
        {
            var counts = failures.TakeCounts();
            if (counts.Attempts == 0)
            {
                // Not disposed: a request may hold it at this moment, and without auto-replenishment it owns no timer.
                _addresses.TryRemove(address, out _);
            }
            else
            {
                active.Add((address, counts));
            }
        }
        foreach (var (address, counts) in active.OrderByDescending(a => a.Counts.Attempts).Take(MaxSummaryLines))
        {
            _logger.LogWarning("{Failures} failed authentication attempts ({ApiKeys} API keys, {SignIns} sign-ins) from {Address} in the last {Window}; {Refused} more refused with 429",
                counts.ApiKeys + counts.SignIns, counts.ApiKeys, counts.SignIns, address, _window, counts.Refused);
        }
        if (active.Count > MaxSummaryLines)
        {
            var rest = active.OrderByDescending(a => a.Counts.Attempts).Skip(MaxSummaryLines).ToList();
            _logger.LogWarning("... and {Addresses} more addresses with {Failures} failed authentication attempts in the last {Window}",
                rest.Count, rest.Sum(a => a.Counts.ApiKeys + a.Counts.SignIns), _window);
        }
        var untracked = Interlocked.Exchange(ref _untrackedFailures, 0);
        if (untracked > 0)
        {
            _logger.LogWarning("{Failures} failed authentication attempts in the last {Window} from addresses beyond the {Max} tracked at once, not held back",
                untracked, _window, MaxTrackedAddresses);
        }
    }

    private static int Seconds(TimeSpan wait) => Math.Max(1, (int)Math.Ceiling(wait.TotalSeconds));

    /// <summary>
    /// The client, as the connection (or a trusted proxy, through the forwarded-headers middleware) gives it. IPv6
    /// clients count by /64, since one host usually holds a whole /64 and could otherwise take a new address per attempt.
    /// </summary>
    private static string AddressOf(HttpContext http)
    {
        var address = http.Connection.RemoteIpAddress;
        if (address is null)
        {
            // No IP transport (a Unix socket, the test server): one client as far as this throttle can tell.
            return "local";
        }
        if (address.IsIPv4MappedToIPv6)
        {
            address = address.MapToIPv4();
        }
        if (address.AddressFamily == AddressFamily.InterNetworkV6 && !IPAddress.IsLoopback(address))
        {
            var bytes = address.GetAddressBytes();
            Array.Clear(bytes, 8, 8);
            return new IPAddress(bytes) + "/64";
        }
        return address.ToString();
    }

    private sealed class AddressFailures(FixedWindowRateLimiterOptions limit) : IDisposable
    {
        private readonly FixedWindowRateLimiter _limiter = new(limit);
        private int _apiKeys;
        private int _signIns;
        private int _refused;
        private int _warned;

        public readonly record struct Counts(int ApiKeys, int SignIns, int Refused)
        {
            public int Attempts => ApiKeys + SignIns + Refused;
        }

        public bool IsThrottled(out TimeSpan retryAfter)
        {
            _limiter.TryReplenish();
            // Zero permits asks whether any is left without taking one.
            using var lease = _limiter.AttemptAcquire(0);
            if (lease.IsAcquired)
            {
                retryAfter = TimeSpan.Zero;
                return false;
            }
            retryAfter = lease.TryGetMetadata(MetadataName.RetryAfter, out var wait) ? wait : limit.Window;
            Interlocked.Increment(ref _refused);
            return true;
        }

        public void Fail(AuthenticationAttempt attempt)
        {
            Interlocked.Increment(ref attempt == AuthenticationAttempt.ApiKey ? ref _apiKeys : ref _signIns);
            _limiter.TryReplenish();
            // The permit is spent for good: a failure is never given back.
            _limiter.AttemptAcquire(1).Dispose();
        }

        /// <summary>True once per summary window, for the warning that says an address is now held back.</summary>
        public bool FirstRefusalThisWindow() => Interlocked.Exchange(ref _warned, 1) == 0;

        public Counts TakeCounts()
        {
            Volatile.Write(ref _warned, 0);
            return new Counts(Interlocked.Exchange(ref _apiKeys, 0), Interlocked.Exchange(ref _signIns, 0), Interlocked.Exchange(ref _refused, 0));
        }

        public void Dispose() => _limiter.Dispose();
    }
}
