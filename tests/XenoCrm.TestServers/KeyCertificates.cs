using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace XenoCrm.TestServers;

/// <summary>
/// Certificates that encrypt XenoCrm.Web's data-protection keys (<c>DataProtection:CertificatePath</c>), which the
/// distributed mode refuses to start without: one shared by every deployment of a test process, made on first use in
/// a folder of its own and deleted when the process exits, and fresh ones for tests that rotate them.
/// </summary>
public static class KeyCertificates
{
    public const string Password = "xenocrm-test-keys";

    private static readonly Lazy<string> _folder = new(() =>
    {
        var folder = Directory.CreateTempSubdirectory("xenocrm-test-keys-").FullName;
        AppDomain.CurrentDomain.ProcessExit += (_, _) => Directory.Delete(folder, recursive: true);
        return folder;
    });

    private static readonly Lazy<string> _shared = new(() => Create("shared"));

    /// <summary>The shared certificate's PKCS#12 file, protected with <see cref="Password"/>.</summary>
    public static string SharedPath => _shared.Value;

    /// <summary>A new self-signed RSA certificate with its key, as a PKCS#12 file protected with <see cref="Password"/>.</summary>
    public static string Create(string name)
    {
        using var rsa = RSA.Create(2048);
        var request = new CertificateRequest($"CN=XenoCrm test keys {name}", rsa, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        using var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddYears(1));
        var path = Path.Combine(_folder.Value, $"{name}-{Guid.NewGuid():N}.pfx");
        File.WriteAllBytes(path, certificate.Export(X509ContentType.Pkcs12, Password));
        return path;
    }
}
