using MySqlConnector;
using XenoCrm.IntegrationTests.Infrastructure;
using XenoCrm.TestServers;

namespace XenoCrm.IntegrationTests.Security;

/// <summary>
/// A public server must not start with the development sign-in (anyone typing an allowed email gets
/// in) unless its operator turned it on on purpose: without Google credentials, the distributed mode
/// refuses to start and says which settings to set.
/// </summary>
[Collection(SharedServersDefinition.Name)]
public sealed class DistributedStartupTests(SharedServers servers)
{
    [Theory]
    [InlineData(null)]
    [InlineData("false")]
    public async Task DistributedWeb_ExitsNamingTheSettings_WithoutGoogleCredentialsOrAnExplicitDevelopmentSignIn(string? developmentSignIn)
    {
        var environment = new Dictionary<string, string?>
        {
            ["ConnectionStrings__Crm"] = await servers.MariaDb.CreateDatabaseAsync(),
            ["ConnectionStrings__RabbitMq"] = await servers.RabbitMq.CreateVirtualHostAsync(),
            ["ConnectionStrings__Redis"] = servers.Redis.ConnectionString,
            ["DOTNET_ENVIRONMENT"] = "Production",
            ["ASPNETCORE_ENVIRONMENT"] = "Production",
            ["Auth__AllowedDomains__0"] = InProcessWeb.AllowedDomain,
            ["Auth__AdminEmails__0"] = InProcessWeb.AdminEmail,
            ["Auth__DevelopmentSignIn"] = developmentSignIn,
            ["Auth__Google__ClientId"] = null,
            ["Auth__Google__ClientSecret"] = null,
            ["DataProtection__CertificatePath"] = KeyCertificates.SharedPath,
            ["DataProtection__CertificatePassword"] = KeyCertificates.Password,
        };
        var port = FreePort.Next();
        await using var web = AppProcess.Start("XenoCrm.Web", environment, "--urls", $"http://127.0.0.1:{port}");

        var exitCode = await web.WaitForExitAsync(TimeSpan.FromSeconds(60));

        Assert.True(exitCode != 0, $"XenoCrm.Web exited with 0:\n{web.Output}");
        Assert.Contains("Auth:Google:ClientId", web.Output, StringComparison.Ordinal);
        Assert.Contains("Auth:DevelopmentSignIn", web.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task DistributedWeb_ExitsNamingTheSetting_WithoutACertificateForTheKeys()
    {
        var environment = new Dictionary<string, string?>
        {
            ["ConnectionStrings__Crm"] = await servers.MariaDb.CreateDatabaseAsync(),
            ["ConnectionStrings__RabbitMq"] = await servers.RabbitMq.CreateVirtualHostAsync(),
            ["ConnectionStrings__Redis"] = servers.Redis.ConnectionString,
            ["DOTNET_ENVIRONMENT"] = "Production",
            ["ASPNETCORE_ENVIRONMENT"] = "Production",
            ["Auth__AllowedDomains__0"] = InProcessWeb.AllowedDomain,
            ["Auth__DevelopmentSignIn"] = "true",
            ["DataProtection__CertificatePath"] = null,
        };
        var port = FreePort.Next();
        await using var web = AppProcess.Start("XenoCrm.Web", environment, "--urls", $"http://127.0.0.1:{port}");

        var exitCode = await web.WaitForExitAsync(TimeSpan.FromSeconds(60));

        Assert.True(exitCode != 0, $"XenoCrm.Web exited with 0:\n{web.Output}");
        Assert.Contains("Set DataProtection:CertificatePath", web.Output, StringComparison.Ordinal);
        Assert.Equal(0L, await CountTablesAsync(environment["ConnectionStrings__Crm"]!));
    }

    /// <summary>Tables in the database: none when the process refused before migrating.</summary>
    private static async Task<long> CountTablesAsync(string connectionString)
    {
        await using var connection = new MySqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new MySqlCommand("SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = DATABASE()", connection);
        return Convert.ToInt64(await command.ExecuteScalarAsync(), System.Globalization.CultureInfo.InvariantCulture);
    }
}
