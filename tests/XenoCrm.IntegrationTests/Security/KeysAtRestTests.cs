using System.Net;
using System.Runtime.Versioning;
using Microsoft.Data.Sqlite;
using XenoCrm.IntegrationTests.Infrastructure;
using XenoCrm.TestServers;

namespace XenoCrm.IntegrationTests.Security;

/// <summary>
/// The embedded mode's files are its owner's alone (the SQLite database and the certificate that encrypts the
/// data-protection keys, both 0600 from the start), the keys in the database are encrypted, and a session outlives a
/// restart because the certificate does.
/// </summary>
// File modes are what this is about; the integration tests run on Linux only (their servers are Debian's).
[UnsupportedOSPlatform("windows")]
public sealed class KeysAtRestTests : IDisposable
{
    private static readonly string[] OwnerOnlyFiles = ["xenocrm.db", "xenocrm-keys.pfx", "xenocrm.db-wal", "xenocrm.db-shm"];

    private const UnixFileMode OwnerReadWrite = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    private readonly TempFolder _folder = new("xenocrm-keys-at-rest-");

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        _folder.Dispose();
    }

    [Fact]
    public async Task EmbeddedMode_KeepsItsFilesOwnerOnly_EncryptsTheStoredKeys_AndKeepsASessionThroughARestart()
    {
        var baseUri = new Uri($"http://127.0.0.1:{FreePort.Next()}");
        var cookies = new CookieContainer();
        byte[] certificate;
        await using (var first = await StartAsync(baseUri))
        {
            using var browser = Browser(baseUri, cookies);
            await SignInAsync(browser, "admin@example.com");
            using var signedIn = await browser.GetAsync("/customers");
            Assert.Equal(HttpStatusCode.OK, signedIn.StatusCode);

            foreach (var file in OwnerOnlyFiles.Select(f => Path.Combine(_folder.Path, f)).Where(File.Exists))
            {
                Assert.True(File.GetUnixFileMode(file) == OwnerReadWrite, $"{file} has mode {Convert.ToString((int)File.GetUnixFileMode(file), 8)}");
            }
            Assert.True(File.Exists(Path.Combine(_folder.Path, "xenocrm-keys.pfx")), "The embedded mode keeps its key certificate beside its database.");
            var keys = StoredKeys();
            Assert.NotEmpty(keys);
            Assert.All(keys, xml =>
            {
                Assert.DoesNotContain("<masterKey", xml, StringComparison.Ordinal);
                Assert.Contains("<encryptedSecret", xml, StringComparison.Ordinal);
            });
            Assert.Contains("Data-protection keys are encrypted at rest", first.Output, StringComparison.Ordinal);
            certificate = await File.ReadAllBytesAsync(Path.Combine(_folder.Path, "xenocrm-keys.pfx"));
        }

        await using (var second = await StartAsync(baseUri))
        {
            using var browser = Browser(baseUri, cookies);
            using var afterRestart = await browser.GetAsync("/customers");

            Assert.True(afterRestart.StatusCode == HttpStatusCode.OK, $"The session cookie answered {(int)afterRestart.StatusCode} {afterRestart.Headers.Location} after a restart:\n{second.Output}");
            Assert.Equal(certificate, await File.ReadAllBytesAsync(Path.Combine(_folder.Path, "xenocrm-keys.pfx")));
        }
    }

    [Fact]
    public async Task EmbeddedMode_NarrowsADatabaseFileOthersCouldRead_AndSaysSo()
    {
        var database = Path.Combine(_folder.Path, "xenocrm.db");
        await File.WriteAllBytesAsync(database, []);
        File.SetUnixFileMode(database, OwnerReadWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead);

        var (exitCode, stdOut, stdErr) = await AppProcess.RunToEndInAsync(_folder.Path, "XenoCrm.Web", EmbeddedWeb.NoConfiguration(), TimeSpan.FromSeconds(60), "migrate");

        Assert.True(exitCode == 0, stdErr);
        Assert.Equal(OwnerReadWrite, File.GetUnixFileMode(database));
        Assert.Contains("was open to other local users (mode 0644)", stdOut + stdErr, StringComparison.Ordinal);
    }

    private async Task<AppProcess> StartAsync(Uri baseUri)
    {
        var web = AppProcess.StartIn(_folder.Path, "XenoCrm.Web", EmbeddedWeb.NoConfiguration(), "--urls", baseUri.ToString());
        try
        {
            await web.WaitForHttpOkAsync(new Uri(baseUri, "/health/live").ToString(), TimeSpan.FromSeconds(60));
            return web;
        }
        catch
        {
            await web.DisposeAsync();
            throw;
        }
    }

    private static HttpClient Browser(Uri baseUri, CookieContainer cookies) =>
        new(new SocketsHttpHandler { AllowAutoRedirect = false, CookieContainer = cookies }) { BaseAddress = baseUri };

    private static async Task SignInAsync(HttpClient browser, string email)
    {
        using var page = await browser.GetAsync("/account/signin");
        var token = CrmBrowser.AntiforgeryToken(await page.Content.ReadAsStringAsync());
        using var response = await browser.PostAsync("/account/signin", new FormUrlEncodedContent([new("Email", email), new("__RequestVerificationToken", token)]));
        Assert.True(response.StatusCode == HttpStatusCode.Redirect, $"Signing in answered {(int)response.StatusCode}");
    }

    private List<string> StoredKeys()
    {
        using var connection = new SqliteConnection($"Data Source={Path.Combine(_folder.Path, "xenocrm.db")};Mode=ReadOnly;Pooling=False");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT xml FROM data_protection_keys";
        using var reader = command.ExecuteReader();
        var keys = new List<string>();
        while (reader.Read())
        {
            keys.Add(reader.GetString(0));
        }
        return keys;
    }
}
