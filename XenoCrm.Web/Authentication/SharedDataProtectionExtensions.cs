using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.Extensions.Options;
using XenoCrm.Core.Data;
using XenoCrm.ServiceDefaults;
using XenoCrm.ServiceDefaults.Messaging;

namespace XenoCrm.Web.Authentication;

/// <summary>
/// Section <c>DataProtection</c>: the certificate that encrypts the data-protection keys stored in the CRM database.
/// <code>
/// { "DataProtection": {
///     "CertificatePath": "/run/secrets/xenocrm-keys.pfx", "CertificatePassword": "…",
///     "PreviousCertificatePaths": ["/run/secrets/xenocrm-keys-2025.pfx"] } }
/// </code>
/// </summary>
public sealed class KeyCertificateOptions
{
    public const string Section = "DataProtection";

    /// <summary>The embedded mode's own certificate, beside its SQLite file, when no <see cref="CertificatePath"/> is set.</summary>
    public const string EmbeddedCertificateFile = "xenocrm-keys.pfx";

    /// <summary>A PKCS#12 file (.pfx, .p12), or a PEM file holding the certificate and its RSA private key.</summary>
    public string? CertificatePath { get; set; }

    /// <summary>The PKCS#12 file's password, or the PEM private key's; unset for a file without one.</summary>
    public string? CertificatePassword { get; set; }

    /// <summary>Certificates replaced by <see cref="CertificatePath"/>, read with the same password: they still decrypt the keys they encrypted.</summary>
    public List<string> PreviousCertificatePaths { get; set; } = [];
}

public static class SharedDataProtectionExtensions
{
    /// <summary>
    /// Keeps data-protection keys (which sign session cookies and anti-forgery tokens) in the CRM database, so that
    /// every Web instance reads the same keys and a user's session survives being served by another instance or a
    /// restart; each key is encrypted with a certificate before it is stored, so that whoever reads the database
    /// cannot forge cookies or tokens with it.
    /// </summary>
    /// <remarks>
    /// Keys stored by a release that did not encrypt them stay readable (data protection only decrypts what is
    /// encrypted) until they expire, 90 days after they were made; every key made from now on is encrypted.
    /// The certificate is read while the app composes itself, not at first use, because data protection takes the
    /// certificates that decrypt keys only as objects (<c>UnprotectKeysWithAnyCertificate</c>): a certificate that
    /// cannot be read stops the process at once, naming the setting.
    /// </remarks>
    public static IHostApplicationBuilder AddSharedDataProtection(this IHostApplicationBuilder builder)
    {
        var options = builder.Configuration.GetSection(KeyCertificateOptions.Section).Get<KeyCertificateOptions>() ?? new KeyCertificateOptions();
        var current = CurrentCertificate(options, distributed: !builder.Configuration.UsesInProcessBus());
        var previous = options.PreviousCertificatePaths
            .Select((path, i) => LoadCertificate(path, options.CertificatePassword, $"{KeyCertificateOptions.Section}:{nameof(KeyCertificateOptions.PreviousCertificatePaths)}:{i}"))
            .ToArray();
        builder.Services.AddSingleton(current);
        builder.Services.AddHostedService<KeyCertificateReport>();
        builder.Services.AddDataProtection()
            .SetApplicationName("XenoCrm")
            .PersistKeysToDbContext<CrmDbContext>()
            .ProtectKeysWithCertificate(current.Certificate)
            .UnprotectKeysWithAnyCertificate([current.Certificate, .. previous]);
        return builder;
    }

    private static KeyCertificate CurrentCertificate(KeyCertificateOptions options, bool distributed)
    {
        const string pathSetting = $"{KeyCertificateOptions.Section}:{nameof(KeyCertificateOptions.CertificatePath)}";
        if (!string.IsNullOrWhiteSpace(options.CertificatePath))
        {
            return new KeyCertificate(LoadCertificate(options.CertificatePath, options.CertificatePassword, pathSetting), Path.GetFullPath(options.CertificatePath), Created: false, Tightened: null);
        }
        if (distributed)
        {
            // Every Web instance must decrypt the keys the others stored, so none can make a certificate of its own.
            throw Invalid(
                $"Set {pathSetting} to a certificate with its private key (a .pfx, or a PEM file with the certificate and the key; " +
                $"{KeyCertificateOptions.Section}:{nameof(KeyCertificateOptions.CertificatePassword)} if it has a password): the distributed mode " +
                "encrypts the data-protection keys it stores in the database with it, and every Web instance needs the same one. See README, Keys at rest.");
        }
        return EmbeddedCertificate();
    }

    /// <summary>
    /// The embedded mode's own certificate: made on first start (RSA 3072, self-signed, valid for 100 years, since
    /// nothing checks its dates when it decrypts) and written 0600 beside the SQLite file, then reused.
    /// </summary>
    private static KeyCertificate EmbeddedCertificate()
    {
        var path = Path.GetFullPath(KeyCertificateOptions.EmbeddedCertificateFile);
        var created = false;
        if (!File.Exists(path))
        {
            using var rsa = RSA.Create(3072);
            var request = new CertificateRequest("CN=XenoCrm data-protection keys", rsa, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
            request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyEncipherment | X509KeyUsageFlags.DataEncipherment, critical: true));
            // Composition runs before the container holds a TimeProvider; a 100-year certificate needs no test clock.
            var now = TimeProvider.System.GetUtcNow();
            using var certificate = request.CreateSelfSigned(now.AddMinutes(-5), now.AddYears(100));
            // False when another process starting in the same folder wrote it first: then both use that one.
            created = OwnerOnlyFiles.TryCreate(path, certificate.Export(X509ContentType.Pkcs12));
        }
        string? tightened = null;
        if (OwnerOnlyFiles.TryTighten(path, out var before, out _))
        {
            tightened = OwnerOnlyFiles.Octal(before);
        }
        const string setting = $"{KeyCertificateOptions.Section}:{nameof(KeyCertificateOptions.CertificatePath)} (unset: {KeyCertificateOptions.EmbeddedCertificateFile})";
        return new KeyCertificate(LoadCertificate(path, password: null, setting), path, created, tightened);
    }

    private static X509Certificate2 LoadCertificate(string path, string? password, string setting)
    {
        if (!File.Exists(path))
        {
            throw Invalid($"{setting}: there is no file at {Path.GetFullPath(path)}.");
        }
        X509Certificate2 certificate;
        try
        {
            certificate = IsPem(path)
                ? string.IsNullOrEmpty(password) ? X509Certificate2.CreateFromPemFile(path) : X509Certificate2.CreateFromEncryptedPemFile(path, password)
                : X509CertificateLoader.LoadPkcs12FromFile(path, password);
        }
        catch (CryptographicException e)
        {
            throw Invalid(
                $"{setting}: {Path.GetFullPath(path)} cannot be read as a PKCS#12 file or a PEM file with a certificate and its private key " +
                $"(is {KeyCertificateOptions.Section}:{nameof(KeyCertificateOptions.CertificatePassword)} right?): {e.Message}");
        }
        if (!certificate.HasPrivateKey || certificate.GetRSAPublicKey() is null)
        {
            certificate.Dispose();
            throw Invalid($"{setting}: {Path.GetFullPath(path)} must hold an RSA certificate and its private key, which decrypts the stored keys.");
        }
        return certificate;
    }

    private static bool IsPem(string path)
    {
        using var file = File.OpenRead(path);
        Span<byte> start = stackalloc byte[64];
        var read = file.Read(start);
        return System.Text.Encoding.ASCII.GetString(start[..read]).Contains("-----BEGIN", StringComparison.Ordinal);
    }

    private static OptionsValidationException Invalid(string message) =>
        new(KeyCertificateOptions.Section, typeof(KeyCertificateOptions), [message]);
}

/// <summary>The certificate that encrypts the data-protection keys, where it came from, and what was done to its file at start.</summary>
public sealed record KeyCertificate(X509Certificate2 Certificate, string Path, bool Created, string? Tightened);

/// <summary>Says at start which certificate encrypts the keys (never anything secret), and whether its file was made or narrowed.</summary>
public sealed class KeyCertificateReport(KeyCertificate key, ILogger<KeyCertificateReport> logger) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        if (key.Created)
        {
            logger.LogInformation("Created {Path} (mode 0600), a self-signed certificate that encrypts the data-protection keys: back it up with the database", key.Path);
        }
        if (key.Tightened is { } mode)
        {
            logger.LogWarning("{Path} was open to other local users (mode {Mode}); it is now open to its owner only (mode 0600)", key.Path, mode);
        }
        logger.LogInformation("Data-protection keys are encrypted at rest with certificate {Thumbprint} ({Subject}) from {Path}",
            key.Certificate.Thumbprint, key.Certificate.Subject, key.Path);
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
