using System.Globalization;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;

namespace XenoCrm.ServiceDefaults.Telemetry;

/// <summary>
/// The port of <see cref="ManagementOptions.Port"/>: listened on beside the public addresses, answering only the
/// scrape and the health probes, so that a firewall or a container network can keep it apart from users' traffic.
/// </summary>
internal static class ManagementPort
{
    /// <summary>
    /// Adds the port to the addresses the server binds. Kestrel binds either the URLs (<c>--urls</c>,
    /// <c>ASPNETCORE_URLS</c>, else <c>ASPNETCORE_HTTP_PORTS</c> as the Docker images set it) or its <c>Kestrel:Endpoints</c>,
    /// never both, so the port joins whichever the process was given.
    /// </summary>
    public static void Listen(IConfiguration configuration, int port)
    {
        // Every interface: the scrape comes from another host or container.
        var url = string.Create(CultureInfo.InvariantCulture, $"http://*:{port}");
        var endpoints = configuration.GetSection("Kestrel:Endpoints");
        if (endpoints.GetChildren().Any())
        {
            configuration["Kestrel:Endpoints:Management:Url"] = url;
            return;
        }
        var publicUrls = PublicUrls(configuration);
        foreach (var address in publicUrls)
        {
            if (BindingAddress.Parse(address).Port == port)
            {
                throw new InvalidOperationException(
                    $"{ManagementOptions.Section}:{nameof(ManagementOptions.Port)} is {port}, a port the process already serves users on ({address}); choose another.");
            }
        }
        configuration["urls"] = string.Join(';', publicUrls.Append(url));
        // Now part of the URLs, which the server would otherwise prefer with a warning.
        configuration["http_ports"] = "";
        configuration["https_ports"] = "";
    }

    /// <summary>The addresses the server would bind without a management port, in the order of precedence it uses.</summary>
    private static List<string> PublicUrls(IConfiguration configuration)
    {
        if (configuration["urls"] is { Length: > 0 } urls)
        {
            return [.. urls.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)];
        }
        var ports = Ports(configuration["http_ports"], "http").Concat(Ports(configuration["https_ports"], "https")).ToList();
        // Kestrel's own default.
        return ports.Count > 0 ? ports : ["http://localhost:5000"];
    }

    private static IEnumerable<string> Ports(string? list, string scheme) =>
        (list ?? "").Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(p => $"{scheme}://*:{p}");

    /// <summary>On the management port, everything but the scrape and the probes is 404: no page or API answers there.</summary>
    public sealed class OnlyManagementEndpoints(int port) : IStartupFilter
    {
        public Action<IApplicationBuilder> Configure(Action<IApplicationBuilder> next) => app =>
        {
            app.Use((http, nextMiddleware) =>
            {
                if (http.Connection.LocalPort == port
                    && !http.Request.Path.StartsWithSegments(CrmTelemetryExtensions.MetricsPath)
                    && !http.Request.Path.StartsWithSegments("/health"))
                {
                    http.Response.StatusCode = StatusCodes.Status404NotFound;
                    return Task.CompletedTask;
                }
                return nextMiddleware(http);
            });
            next(app);
        };
    }
}
