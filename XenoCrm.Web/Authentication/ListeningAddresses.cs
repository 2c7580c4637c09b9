using System.Net;
using XenoCrm.ServiceDefaults.Telemetry;

namespace XenoCrm.Web.Authentication;

/// <summary>
/// The addresses Kestrel will listen on, read from the settings Kestrel itself reads, before anything listens.
/// </summary>
/// <remarks>
/// Read from configuration rather than from <c>IServerAddressesFeature</c>: that feature is filled only once Kestrel
/// has bound its sockets, so a refusal based on it would come after the server had already been reachable. The
/// configuration is the whole story here because XenoCrm never calls <c>Listen…</c> in code: Kestrel binds
/// <c>Kestrel:Endpoints:*:Url</c>, else <c>urls</c> (<c>--urls</c>, <c>ASPNETCORE_URLS</c>), else
/// <c>http_ports</c>/<c>https_ports</c> (<c>ASPNETCORE_HTTP_PORTS</c>, set to 8080 by the .NET container images) as
/// <c>http://*:PORT</c>, else <c>http://localhost:5000</c>. The endpoints and the URLs are both taken, whichever Kestrel
/// would prefer, so that a setting Kestrel overrides can only make the answer stricter. The management port
/// (<c>Management:Port</c>) is left out: it listens on every interface for the scrape, but answers nothing beyond
/// <c>/metrics</c> and the health probes, so no one reaches a sign-in through it.
/// </remarks>
public static class ListeningAddresses
{
    private const string KestrelDefault = "http://localhost:5000";

    public static IReadOnlyList<string> Read(IConfiguration configuration)
    {
        var addresses = Split(configuration[WebHostDefaults.ServerUrlsKey]).ToList();
        if (addresses.Count == 0)
        {
            addresses.AddRange(Split(configuration[WebHostDefaults.HttpPortsKey]).Select(port => $"http://*:{port}"));
            addresses.AddRange(Split(configuration[WebHostDefaults.HttpsPortsKey]).Select(port => $"https://*:{port}"));
        }
        addresses.AddRange(configuration.GetSection("Kestrel:Endpoints").GetChildren()
            .Select(endpoint => endpoint["Url"])
            .OfType<string>()
            .Where(url => !string.IsNullOrWhiteSpace(url)));
        var managementPort = configuration.GetValue<int?>($"{ManagementOptions.Section}:{nameof(ManagementOptions.Port)}");
        addresses.RemoveAll(address => managementPort is { } port && PortOf(address) == port);
        return addresses.Count == 0 ? [KestrelDefault] : addresses;
    }

    /// <summary>
    /// Whether only this machine can connect: <c>localhost</c> (which Kestrel binds to 127.0.0.1 and ::1 only), a
    /// loopback IP, or a Unix socket. <c>*</c>, <c>+</c>, <c>0.0.0.0</c>, <c>[::]</c>, any other IP and any other host
    /// name (which Kestrel binds to every interface) are not.
    /// </summary>
    public static bool IsLoopback(string address)
    {
        BindingAddress parsed;
        try
        {
            parsed = BindingAddress.Parse(address);
        }
        catch (FormatException)
        {
            // Kestrel will refuse it at start; until then, nothing says that only this machine reaches it.
            return false;
        }
        if (parsed.IsUnixPipe)
        {
            return true;
        }
        var host = parsed.Host.TrimStart('[').TrimEnd(']');
        return string.Equals(host, "localhost", StringComparison.OrdinalIgnoreCase)
            || IPAddress.TryParse(host, out var ip) && IPAddress.IsLoopback(ip);
    }

    private static int? PortOf(string address)
    {
        try
        {
            return BindingAddress.Parse(address).Port;
        }
        catch (FormatException)
        {
            return null;
        }
    }

    private static string[] Split(string? list) =>
        (list ?? "").Split(';', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
}
