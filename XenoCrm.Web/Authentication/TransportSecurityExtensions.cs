using System.ComponentModel.DataAnnotations;
using System.Diagnostics.CodeAnalysis;
using System.Net;
using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.HttpOverrides;
using Microsoft.AspNetCore.HttpsPolicy;
using IPNetwork = System.Net.IPNetwork;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Options;
using XenoCrm.ServiceDefaults;

namespace XenoCrm.Web.Authentication;

/// <summary>
/// Section <c>ForwardedHeaders</c>: the reverse proxies whose <c>X-Forwarded-For</c> and <c>X-Forwarded-Proto</c> are
/// believed. <code>{ "ForwardedHeaders": { "KnownProxies": ["10.0.0.5"], "KnownNetworks": ["10.0.0.0/24"] } }</code>
/// </summary>
public sealed class TrustedProxyOptions : IValidatableObject
{
    public const string Section = "ForwardedHeaders";

    /// <summary>Addresses of proxies (IPv4 or IPv6) whose forwarded headers are believed.</summary>
    public List<string> KnownProxies { get; set; } = [];

    /// <summary>Networks in CIDR form (<c>10.0.0.0/24</c>, <c>fd00::/64</c>) whose every address is a trusted proxy.</summary>
    public List<string> KnownNetworks { get; set; } = [];

    public bool TrustsAny => KnownProxies.Count > 0 || KnownNetworks.Count > 0;

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        for (var i = 0; i < KnownProxies.Count; i++)
        {
            if (!IPAddress.TryParse(KnownProxies[i]?.Trim(), out _))
            {
                yield return new ValidationResult($"{Section}:{nameof(KnownProxies)}:{i}: '{KnownProxies[i]}' is not an IP address such as 10.0.0.5 or fd00::5.", [nameof(KnownProxies)]);
            }
        }
        for (var i = 0; i < KnownNetworks.Count; i++)
        {
            if (!IPNetwork.TryParse(KnownNetworks[i]?.Trim(), out _))
            {
                yield return new ValidationResult($"{Section}:{nameof(KnownNetworks)}:{i}: '{KnownNetworks[i]}' is not a network such as 10.0.0.0/24 or fd00::/64.", [nameof(KnownNetworks)]);
            }
        }
    }
}

/// <summary>Section <c>Hsts</c>: <code>{ "Hsts": { "MaxAge": "365.00:00:00", "IncludeSubDomains": false } }</code></summary>
public sealed class StrictTransportOptions
{
    public const string Section = "Hsts";

    /// <summary>How long a browser that saw the header over HTTPS refuses plain HTTP to this host.</summary>
    [Range(typeof(TimeSpan), "00:00:00", "730.00:00:00")]
    public TimeSpan MaxAge { get; set; } = TimeSpan.FromDays(365);

    public bool IncludeSubDomains { get; set; }
}

/// <summary>
/// What the server does about the transport it is reached over, directly or through a reverse proxy that terminates
/// TLS: which proxies it believes about the client's address and scheme, cookies that only travel over HTTPS when the
/// request came over HTTPS, HSTS then, and redirects that never repeat the Host header a client sent.
/// </summary>
public static class TransportSecurityExtensions
{
    /// <summary>The prefix that makes a browser accept a cookie only with <c>Secure</c>, <c>Path=/</c> and no <c>Domain</c>.</summary>
    public const string HostPrefix = "__Host-";

    public const string AntiforgeryCookie = "xenocrm.antiforgery";

    public static IHostApplicationBuilder AddTransportSecurity(this IHostApplicationBuilder builder)
    {
        builder.AddValidatedOptions<TrustedProxyOptions>(TrustedProxyOptions.Section);
        builder.AddValidatedOptions<StrictTransportOptions>(StrictTransportOptions.Section);
        builder.Services.AddOptions<ForwardedHeadersOptions>().Configure<IOptions<TrustedProxyOptions>>((forwarded, trusted) =>
        {
            // No X-Forwarded-Host: the proxy passes the Host header on, and AllowedHosts checks that one.
            forwarded.ForwardedHeaders = ForwardedHeaders.XForwardedFor | ForwardedHeaders.XForwardedProto;
            // ASP.NET trusts loopback by default; here only what the operator lists (see UseTransportSecurity).
            forwarded.KnownProxies.Clear();
            forwarded.KnownIPNetworks.Clear();
            foreach (var proxy in trusted.Value.KnownProxies)
            {
                forwarded.KnownProxies.Add(IPAddress.Parse(proxy.Trim()));
            }
            foreach (var network in trusted.Value.KnownNetworks)
            {
                forwarded.KnownIPNetworks.Add(IPNetwork.Parse(network.Trim()));
            }
            // Each hop of a chain is believed only while the address it came from is a listed proxy.
            forwarded.ForwardLimit = null;
        });
        builder.Services.AddOptions<HstsOptions>().Configure<IOptions<StrictTransportOptions>>((hsts, options) =>
        {
            hsts.MaxAge = options.Value.MaxAge;
            hsts.IncludeSubDomains = options.Value.IncludeSubDomains;
        });

        // PostConfigure, so that the redirects wrap whatever the cookie's own configuration put in its events. The session
        // cookie and Google's correlation cookie are SameAsRequest where they are added (CrmAuthenticationExtensions).
        builder.Services.PostConfigure<CookieAuthenticationOptions>(CookieAuthenticationDefaults.AuthenticationScheme, cookie =>
        {
            cookie.Events.OnRedirectToLogin = RelativeRedirect(cookie.Events.OnRedirectToLogin);
            cookie.Events.OnRedirectToAccessDenied = RelativeRedirect(cookie.Events.OnRedirectToAccessDenied);
            cookie.Events.OnRedirectToLogout = RelativeRedirect(cookie.Events.OnRedirectToLogout);
            cookie.Events.OnRedirectToReturnUrl = RelativeRedirect(cookie.Events.OnRedirectToReturnUrl);
        });
        builder.Services.PostConfigure<AntiforgeryOptions>(antiforgery =>
        {
            antiforgery.Cookie.Name = AntiforgeryCookie;
            // Antiforgery's default never sets Secure, even over HTTPS.
            antiforgery.Cookie.SecurePolicy = CookieSecurePolicy.SameAsRequest;
        });
        builder.Services.AddHostedService<AllowedHostsWarning>();
        return builder;
    }

    /// <summary>
    /// First in the pipeline, so that everything after it (the failed-authentication throttle, the <c>/metrics</c>
    /// allow-list, <c>IsHttps</c>, the cookies) sees the client's address and scheme as the trusted proxy gave them.
    /// </summary>
    /// <remarks>
    /// The forwarded headers are read only when <c>ForwardedHeaders:KnownProxies</c> or <c>KnownNetworks</c> lists a
    /// proxy. ASP.NET's own default trusts loopback, which would let anything on this host (or a same-host proxy that
    /// passes a client's headers through unchanged) choose the address the throttle counts and turn a plain-HTTP
    /// session cookie into a <c>Secure</c> one the browser then never sends back; and the middleware with empty lists
    /// believes every peer. So with nothing listed it is not added at all: the connection is the client.
    /// </remarks>
    public static IApplicationBuilder UseTransportSecurity(this IApplicationBuilder app)
    {
        if (app.ApplicationServices.GetRequiredService<IOptions<TrustedProxyOptions>>().Value.TrustsAny)
        {
            app.UseForwardedHeaders();
        }
        string[] names =
        [
            app.ApplicationServices.GetRequiredService<IOptionsMonitor<CookieAuthenticationOptions>>().Get(CookieAuthenticationDefaults.AuthenticationScheme).Cookie.Name!,
            app.ApplicationServices.GetRequiredService<IOptions<AntiforgeryOptions>>().Value.Cookie.Name!,
        ];
        return app.Use((http, next) =>
        {
            if (http.Request.IsHttps)
            {
                HostPrefixedCookies.Apply(http, names);
            }
            return next(http);
        });
    }

    /// <summary>
    /// Cookie authentication redirects to <c>scheme://Host/path</c>, the Host being whatever the client sent; the same
    /// path without scheme and host takes the browser to the same place and never to a host the client chose.
    /// </summary>
    private static Func<RedirectContext<CookieAuthenticationOptions>, Task> RelativeRedirect(Func<RedirectContext<CookieAuthenticationOptions>, Task> inner) =>
        context =>
        {
            var origin = $"{context.Request.Scheme}://{context.Request.Host}";
            if (context.RedirectUri.StartsWith(origin + "/", StringComparison.OrdinalIgnoreCase))
            {
                context.RedirectUri = context.RedirectUri[origin.Length..];
            }
            return inner(context);
        };
}

/// <summary>
/// On HTTPS requests, the session and anti-forgery cookies travel as <c>__Host-xenocrm.session</c> and
/// <c>__Host-xenocrm.antiforgery</c>: the browser then keeps them only with <c>Secure</c>, <c>Path=/</c> and no
/// <c>Domain</c>, so neither a sibling subdomain nor a plain-HTTP response can plant or overwrite them. Over plain HTTP
/// (the loopback try-out) they keep their plain names, since a browser drops a <c>__Host-</c> cookie without
/// <c>Secure</c> and a <c>Secure</c> one is never sent back over HTTP.
/// </summary>
/// <remarks>
/// Done by swapping the request's and response's cookie collections rather than the cookie's name, because the name
/// is one per app in the options, and antiforgery, unlike cookie authentication, has no cookie manager to replace:
/// both read <c>Request.Cookies</c> and write <c>Response.Cookies</c>, which is where the prefix is added and removed.
/// On HTTPS an unprefixed cookie of those names is ignored, for the same reason the prefix exists.
/// </remarks>
internal static class HostPrefixedCookies
{
    public static void Apply(HttpContext http, string[] names)
    {
        var request = http.Request.Cookies;
        var response = http.Response.Cookies;
        http.Features.Set<IRequestCookiesFeature>(new RequestCookiesFeature(new PrefixedRequestCookies(request, names)));
        http.Features.Set<IResponseCookiesFeature>(new PrefixedResponseCookiesFeature(new PrefixedResponseCookies(response, names)));
    }

    /// <summary>Chunks of a large session cookie are named after it (<c>xenocrm.sessionC1</c>, …) and get the prefix too.</summary>
    private static bool IsPrefixed(string key, string[] names) => names.Any(name => key.StartsWith(name, StringComparison.Ordinal));

    private sealed class PrefixedRequestCookies(IRequestCookieCollection inner, string[] names) : IRequestCookieCollection
    {
        public string? this[string key] => TryGetValue(key, out var value) ? value : null;

        public int Count => Pairs().Count();

        public ICollection<string> Keys => [.. Pairs().Select(pair => pair.Key)];

        public bool ContainsKey(string key) => TryGetValue(key, out _);

        public bool TryGetValue(string key, [NotNullWhen(true)] out string? value)
        {
            if (IsPrefixed(key, names))
            {
                return inner.TryGetValue(TransportSecurityExtensions.HostPrefix + key, out value);
            }
            return inner.TryGetValue(key, out value);
        }

        public IEnumerator<KeyValuePair<string, string>> GetEnumerator() => Pairs().GetEnumerator();

        System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();

        private IEnumerable<KeyValuePair<string, string>> Pairs()
        {
            foreach (var (key, value) in inner)
            {
                if (key.StartsWith(TransportSecurityExtensions.HostPrefix, StringComparison.Ordinal) && IsPrefixed(key[TransportSecurityExtensions.HostPrefix.Length..], names))
                {
                    yield return new(key[TransportSecurityExtensions.HostPrefix.Length..], value);
                }
                else if (!IsPrefixed(key, names))
                {
                    yield return new(key, value);
                }
            }
        }
    }

    private sealed class PrefixedResponseCookiesFeature(IResponseCookies cookies) : IResponseCookiesFeature
    {
        public IResponseCookies Cookies { get; } = cookies;
    }

    private sealed class PrefixedResponseCookies(IResponseCookies inner, string[] names) : IResponseCookies
    {
        public void Append(string key, string value) => Append(key, value, new CookieOptions());

        public void Append(string key, string value, CookieOptions options)
        {
            if (IsPrefixed(key, names))
            {
                inner.Append(TransportSecurityExtensions.HostPrefix + key, value, HostOnly(options));
            }
            else
            {
                inner.Append(key, value, options);
            }
        }

        public void Append(ReadOnlySpan<KeyValuePair<string, string>> keyValuePairs, CookieOptions options)
        {
            foreach (var (key, value) in keyValuePairs)
            {
                Append(key, value, options);
            }
        }

        public void Delete(string key) => Delete(key, new CookieOptions());

        public void Delete(string key, CookieOptions options)
        {
            if (IsPrefixed(key, names))
            {
                inner.Delete(TransportSecurityExtensions.HostPrefix + key, HostOnly(options));
            }
            else
            {
                inner.Delete(key, options);
            }
        }

        private static CookieOptions HostOnly(CookieOptions options) => new(options) { Secure = true, Path = "/", Domain = null };
    }
}

/// <summary>
/// One warning at start when the server listens beyond loopback and accepts any Host header: the operator of an
/// exposed server should name the host names clients use (<c>AllowedHosts</c>), so that a foreign Host gets 400.
/// </summary>
public sealed class AllowedHostsWarning(IConfiguration configuration, IOptions<AuthOptions> auth, ILogger<AllowedHostsWarning> logger) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        var allowedHosts = configuration["AllowedHosts"];
        if ((string.IsNullOrWhiteSpace(allowedHosts) || allowedHosts.Trim() == "*") && auth.Value.ReachableBeyondLoopback)
        {
            logger.LogWarning("XenoCrm listens on {Addresses} and accepts any Host header: set AllowedHosts to the host names clients use " +
                "(e.g. AllowedHosts=crm.myshop.com), so that a request for another host is refused with 400", auth.Value.ListeningOn);
        }
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
