using System.Net;
using System.Net.Sockets;
using XenoCrm.IntegrationTests.Infrastructure;
using XenoCrm.TestServers;

namespace XenoCrm.IntegrationTests.Security;

/// <summary>
/// XenoCrm.Web as a newcomer runs it (embedded mode, nothing configured, on 127.0.0.1) with one API key, and clients
/// that connect from other loopback addresses (127.0.0.2, 127.0.0.3, …), so that each test is a client address of its own.
/// </summary>
public sealed class EmbeddedWebFixture : IAsyncLifetime
{
    private static readonly Dictionary<string, string?> NoConfiguration = new()
    {
        ["ConnectionStrings__Crm"] = null,
        ["ConnectionStrings__RabbitMq"] = null,
        ["ConnectionStrings__Redis"] = null,
        ["Delivery__BaseUrl"] = null,
        ["ASPNETCORE_URLS"] = null,
        ["ASPNETCORE_HTTP_PORTS"] = null,
        ["Auth__DevelopmentSignIn"] = null,
    };

    private readonly TempFolder _folder = new("xenocrm-embedded-web-");

    public AppProcess Web { get; private set; } = null!;

    public string ApiKey { get; private set; } = "";

    public Uri BaseUri { get; private set; } = null!;

    /// <summary>The embedded mode's SQLite file, for tests that check what the app stored.</summary>
    public string DatabasePath => Path.Combine(_folder.Path, "xenocrm.db");

    public async Task InitializeAsync()
    {
        var (exitCode, key, stdErr) = await AppProcess.RunToEndInAsync(_folder.Path, "XenoCrm.Web", NoConfiguration, TimeSpan.FromSeconds(60), "api-keys", "create", "fixture");
        Assert.True(exitCode == 0, stdErr);
        ApiKey = key.Trim();
        var port = FreePort.Next();
        BaseUri = new Uri($"http://127.0.0.1:{port}");
        Web = AppProcess.StartIn(_folder.Path, "XenoCrm.Web", NoConfiguration, "--urls", BaseUri.ToString());
        await Web.WaitForHttpOkAsync(new Uri(BaseUri, "/health/live").ToString(), TimeSpan.FromSeconds(60));
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
        if (Web is not null)
        {
            await Web.DisposeAsync();
        }
        _folder.Dispose();
    }
}
