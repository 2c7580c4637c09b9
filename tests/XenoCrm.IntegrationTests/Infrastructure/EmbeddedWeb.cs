using XenoCrm.TestServers;

namespace XenoCrm.IntegrationTests.Infrastructure;

/// <summary>
/// XenoCrm.Web as a newcomer runs it: the embedded mode (SQLite file in its folder, in-process bus, Workers and Delivery
/// hosted inside), nothing configured, listening on 127.0.0.1 only, with one API key created by the operator command.
/// </summary>
public sealed class EmbeddedWeb : IAsyncDisposable
{
    private EmbeddedWeb(AppProcess process, Uri baseUri, string apiKey)
    {
        Process = process;
        BaseUri = baseUri;
        ApiKey = apiKey;
    }

    public AppProcess Process { get; }

    public Uri BaseUri { get; }

    public string ApiKey { get; }

    /// <summary>
    /// The embedded mode with nothing configured: every setting that picks a server, a listening address or a sign-in
    /// cleared, so that nothing leaks in from the test's environment.
    /// </summary>
    public static Dictionary<string, string?> NoConfiguration() => new()
    {
        ["ConnectionStrings__Crm"] = null,
        ["ConnectionStrings__RabbitMq"] = null,
        ["ConnectionStrings__Redis"] = null,
        ["Delivery__BaseUrl"] = null,
        ["ASPNETCORE_URLS"] = null,
        ["ASPNETCORE_HTTP_PORTS"] = null,
        ["ASPNETCORE_HTTPS_PORTS"] = null,
        ["Auth__DevelopmentSignIn"] = null,
        ["Auth__Google__ClientId"] = null,
        ["Auth__Google__ClientSecret"] = null,
        ["DataProtection__CertificatePath"] = null,
        ["DataProtection__CertificatePassword"] = null,
    };

    /// <summary>Creates an API key in <paramref name="folder"/>'s database, then starts the server there and waits until it is live.</summary>
    /// <param name="settings">Settings on top of <see cref="NoConfiguration"/>.</param>
    public static async Task<EmbeddedWeb> StartAsync(string folder, IReadOnlyDictionary<string, string?>? settings = null)
    {
        var environment = NoConfiguration();
        foreach (var (name, value) in settings ?? new Dictionary<string, string?>())
        {
            environment[name] = value;
        }
        var (exitCode, key, stdErr) = await AppProcess.RunToEndInAsync(folder, "XenoCrm.Web", environment, TimeSpan.FromSeconds(60), "api-keys", "create", "tests");
        Assert.True(exitCode == 0, stdErr);
        var baseUri = new Uri($"http://127.0.0.1:{FreePort.Next()}");
        var process = AppProcess.StartIn(folder, "XenoCrm.Web", environment, "--urls", baseUri.ToString());
        try
        {
            await process.WaitForHttpOkAsync(new Uri(baseUri, "/health/live").ToString(), TimeSpan.FromSeconds(60));
        }
        catch
        {
            await process.DisposeAsync();
            throw;
        }
        return new EmbeddedWeb(process, baseUri, key.Trim());
    }

    /// <summary>An API client authenticated with the server's API key.</summary>
    public HttpClient ApiClient()
    {
        var client = new HttpClient { BaseAddress = BaseUri, Timeout = TimeSpan.FromSeconds(30) };
        client.DefaultRequestHeaders.Add("X-Api-Key", ApiKey);
        return client;
    }

    public ValueTask DisposeAsync() => Process.DisposeAsync();
}
