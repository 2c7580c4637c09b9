using System.Net;
using System.Net.Sockets;
using XenoCrm.IntegrationTests.Infrastructure;
using XenoCrm.TestServers;

namespace XenoCrm.IntegrationTests.Security;

/// <summary>
/// XenoCrm.Web as a newcomer runs it (embedded mode, nothing configured, on 127.0.0.1) with one API key, and clients
/// that connect from other loopback addresses (127.0.0.2, 127.0.0.3, …), so that each test is a client address of its own.
/// One of them, <see cref="TrustedProxy"/>, is configured as a reverse proxy whose forwarded headers are believed.
/// </summary>
public sealed class EmbeddedWebFixture : IAsyncLifetime
{
    /// <summary>The address of the reverse proxy the server trusts (<c>ForwardedHeaders:KnownProxies</c>); no other client is one.</summary>
    public const string TrustedProxy = "127.0.0.10";

    private readonly TempFolder _folder = new("xenocrm-embedded-web-");

    private EmbeddedWeb? _web;

    public AppProcess Web => _web!.Process;

    public string ApiKey => _web!.ApiKey;

    public Uri BaseUri => _web!.BaseUri;

    /// <summary>The embedded mode's SQLite file, for tests that check what the app stored.</summary>
    public string DatabasePath => Path.Combine(_folder.Path, "xenocrm.db");

    public async Task InitializeAsync()
    {
        _web = await EmbeddedWeb.StartAsync(_folder.Path, new Dictionary<string, string?> { ["ForwardedHeaders__KnownProxies__0"] = TrustedProxy });
    }

    /// <summary>A client whose connections come from <paramref name="sourceAddress"/> (any 127.x.y.z reaches the server on Linux); redirects not followed.</summary>
    public HttpClient ClientFrom(string sourceAddress, CookieContainer? cookies = null)
    {
        var source = new IPEndPoint(IPAddress.Parse(sourceAddress), 0);
        var handler = new SocketsHttpHandler
        {
            AllowAutoRedirect = false,
            UseCookies = cookies is not null,
            CookieContainer = cookies ?? new CookieContainer(),
            ConnectCallback = async (context, ct) =>
            {
                var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
                try
                {
                    socket.Bind(source);
                    await socket.ConnectAsync(context.DnsEndPoint, ct);
                    return new NetworkStream(socket, ownsSocket: true);
                }
                catch
                {
                    socket.Dispose();
                    throw;
                }
            },
        };
        return new HttpClient(handler) { BaseAddress = BaseUri };
    }

    public async Task DisposeAsync()
    {
        if (_web is not null)
        {
            await _web.DisposeAsync();
        }
        _folder.Dispose();
    }
}
