using Microsoft.AspNetCore.DataProtection;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;
using Microsoft.Extensions.DependencyInjection;
using MySqlConnector;
using XenoCrm.Core.Data;
using XenoCrm.IntegrationTests.Infrastructure;
using XenoCrm.TestServers;

namespace XenoCrm.IntegrationTests.Security;

/// <summary>
/// Session cookies and anti-forgery tokens are data-protection payloads: every Web instance must read what another one
/// wrote, an upgrade must keep reading the keys an installation already has (stored unencrypted before keys were
/// encrypted at rest), and a certificate rotation the keys the previous certificate encrypted.
/// </summary>
[Collection(SharedServersDefinition.Name)]
public sealed class SharedDataProtectionTests(SharedServers servers)
{
    // Cookie authentication's purpose string; any purpose shows the keys are shared, this one is what matters.
    private const string Purpose = "Microsoft.AspNetCore.Authentication.Cookies.CookieAuthenticationMiddleware";

    /// <summary>The last migration before the keys table moved to the data-protection package's entity.</summary>
    private const string BeforePackageMigration = "20261126142109_Campaigns";

    [Fact]
    public async Task PayloadProtectedByOneWebInstance_IsReadByAnother_OnTheSameDatabase()
    {
        var crm = await servers.MariaDb.CreateDatabaseAsync();
        await using var first = await InProcessWeb.StartAsync(servers, Settings(crm));
        await using var second = await InProcessWeb.StartAsync(servers, Settings(crm));

        var payload = Protector(first.Services).Protect("signed in as admin@shop.test");

        Assert.Equal("signed in as admin@shop.test", Protector(second.Services).Unprotect(payload));
        Assert.Equal(1L, await ScalarAsync(crm, "SELECT COUNT(*) FROM data_protection_keys"));
        // Encrypted with DataProtection:CertificatePath: whoever reads the database cannot sign cookies with it.
        var xml = await XmlAsync(crm);
        Assert.DoesNotContain("<masterKey", xml, StringComparison.Ordinal);
        Assert.Contains("<encryptedSecret", xml, StringComparison.Ordinal);
    }

    [Fact]
    public async Task KeyEncryptedWithAReplacedCertificate_StillReadsItsPayloads_WhenThatCertificateIsAPreviousOne()
    {
        var crm = await servers.MariaDb.CreateDatabaseAsync();
        var replaced = KeyCertificates.Create("replaced");
        string payload;
        await using (var before = await InProcessWeb.StartAsync(servers, WithCertificate(Settings(crm), replaced)))
        {
            payload = Protector(before.Services).Protect("signed in before the rotation");
        }
        var settings = WithCertificate(Settings(crm), KeyCertificates.Create("current"));
        settings["DataProtection:PreviousCertificatePaths:0"] = replaced;

        await using var after = await InProcessWeb.StartAsync(servers, settings);

        Assert.Equal("signed in before the rotation", Protector(after.Services).Unprotect(payload));
    }

    [Fact]
    public async Task KeyStoredBeforeTheUpgrade_StillReadsItsPayloads_AfterWebMigratesTheDatabase()
    {
        var crm = await servers.MariaDb.CreateDatabaseAsync();
        await using (var db = new MySqlCrmDbContext(new DbContextOptionsBuilder<MySqlCrmDbContext>()
            .UseMySql(crm, new MySqlServerVersion(new Version(8, 0, 36))).Options))
        {
            await db.GetService<IMigrator>().MigrateAsync(BeforePackageMigration);
        }
        // A key as the hand-written repository stored it: created by data protection, kept as one row of XML.
        var folder = Directory.CreateTempSubdirectory("xenocrm-keys-");
        try
        {
            var before = DataProtectionProvider.Create(folder, b => b.SetApplicationName("XenoCrm"));
            var payload = before.CreateProtector(Purpose).Protect("signed in before the upgrade");
            var keyFile = Assert.Single(folder.GetFiles("key-*.xml"));
            await using (var connection = new MySqlConnection(crm))
            {
                await connection.OpenAsync();
                await using var insert = new MySqlCommand("INSERT INTO data_protection_keys (friendly_name, xml) VALUES (@name, @xml)", connection);
                insert.Parameters.AddWithValue("@name", Path.GetFileNameWithoutExtension(keyFile.Name));
                insert.Parameters.AddWithValue("@xml", await File.ReadAllTextAsync(keyFile.FullName));
                await insert.ExecuteNonQueryAsync();
            }

            await using var web = await InProcessWeb.StartAsync(servers, Settings(crm));

            Assert.Equal("signed in before the upgrade", Protector(web.Services).Unprotect(payload));
            // The stored key is still the default one: no new key was needed to protect.
            Protector(web.Services).Protect("after the upgrade");
            Assert.Equal(1L, await ScalarAsync(crm, "SELECT COUNT(*) FROM data_protection_keys"));
        }
        finally
        {
            folder.Delete(recursive: true);
        }
    }

    private static Dictionary<string, string> Settings(string crm) => new()
    {
        ["ConnectionStrings:Crm"] = crm,
        ["Auth:DevelopmentSignIn"] = "true",
    };

    private static Dictionary<string, string> WithCertificate(Dictionary<string, string> settings, string certificatePath)
    {
        settings["DataProtection:CertificatePath"] = certificatePath;
        return settings;
    }

    private static async Task<string> XmlAsync(string connectionString)
    {
        await using var connection = new MySqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new MySqlCommand("SELECT xml FROM data_protection_keys", connection);
        return (string)(await command.ExecuteScalarAsync())!;
    }

    private static IDataProtector Protector(IServiceProvider services) =>
        services.GetRequiredService<IDataProtectionProvider>().CreateProtector(Purpose);

    private static async Task<long> ScalarAsync(string connectionString, string sql)
    {
        await using var connection = new MySqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new MySqlCommand(sql, connection);
        return Convert.ToInt64(await command.ExecuteScalarAsync(), System.Globalization.CultureInfo.InvariantCulture);
    }
}
