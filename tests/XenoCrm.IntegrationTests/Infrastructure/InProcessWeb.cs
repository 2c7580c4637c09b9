using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using XenoCrm.TestServers;
using XenoCrm.Web.Authentication;

namespace XenoCrm.IntegrationTests.Infrastructure;

/// <summary>
/// XenoCrm.Web hosted in the test process (<see cref="WebApplicationFactory{TEntryPoint}"/>) in the
/// distributed mode, on a fresh database and RabbitMQ virtual host of the shared servers, so that a
/// test can reach its services and endpoints and replace what Google would be.
/// </summary>
public sealed class InProcessWeb : IAsyncDisposable
{
    public const string AllowedDomain = "shop.test";
    public const string AdminEmail = "admin@shop.test";

    private readonly WebFactory _factory;

    private InProcessWeb(WebFactory factory) => _factory = factory;

    public IServiceProvider Services => _factory.Services;

    /// <summary>The in-memory server, for requests a client cannot make, such as one from another remote address.</summary>
    public TestServer Server => _factory.Server;

    /// <param name="settings">Configuration on top of the distributed-mode connection strings and the allow-list
    /// (<see cref="AllowedDomain"/>, <see cref="AdminEmail"/>); the app reads it as it reads its command line.</param>
    /// <param name="configureServices">Runs after the app's own registrations.</param>
    public static async Task<InProcessWeb> StartAsync(
        SharedServers servers, IReadOnlyDictionary<string, string> settings, Action<IServiceCollection>? configureServices = null)
    {
        ArgumentNullException.ThrowIfNull(servers);
        ArgumentNullException.ThrowIfNull(settings);
        var all = new Dictionary<string, string>
        {
            ["ConnectionStrings:Crm"] = await servers.MariaDb.CreateDatabaseAsync(),
            ["ConnectionStrings:RabbitMq"] = await servers.RabbitMq.CreateVirtualHostAsync(),
            ["ConnectionStrings:Redis"] = servers.Redis.ConnectionString,
            ["Auth:AllowedDomains:0"] = AllowedDomain,
            ["Auth:AdminEmails:0"] = AdminEmail,
            ["DataProtection:CertificatePath"] = KeyCertificates.SharedPath,
            ["DataProtection:CertificatePassword"] = KeyCertificates.Password,
        };
        foreach (var (key, value) in settings)
        {
            all[key] = value;
        }
        var factory = new WebFactory(all, configureServices);
        try
        {
            // Starting runs Program to app.RunAsync: migrations included. It blocks, so off the test's thread.
            await Task.Run(() => factory.Server);
            return new InProcessWeb(factory);
        }
        catch
        {
            await factory.DisposeAsync();
            throw;
        }
    }

    /// <summary>A new browser: its own cookies, redirects not followed.</summary>
    public CrmBrowser NewBrowser() => new(_factory.Server);

    public async ValueTask DisposeAsync() => await _factory.DisposeAsync();

    // Any class of XenoCrm.Web names its assembly; its Program would do too, were Delivery's public
    // top-level Program (which the Web SDK generates) not also in reach and ambiguous.
    private sealed class WebFactory(IReadOnlyDictionary<string, string> settings, Action<IServiceCollection>? configureServices)
        : WebApplicationFactory<AuthOptions>
    {
        protected override void ConfigureWebHost(IWebHostBuilder builder)
        {
            builder.UseEnvironment("Production");
            // Host settings reach the app as command-line arguments, so that Program sees them while it
            // composes itself (it reads Auth and the connection strings before Build).
            foreach (var (key, value) in settings)
            {
                builder.UseSetting(key, value);
            }
            if (configureServices is not null)
            {
                builder.ConfigureServices(configureServices);
            }
        }
    }
}
