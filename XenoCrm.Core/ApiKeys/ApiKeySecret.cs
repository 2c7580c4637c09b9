using System.Security.Cryptography;
using System.Text;

namespace XenoCrm.Core.ApiKeys;

/// <summary>
/// Keys read <c>xcrm_{prefix}_{secret}</c>. The prefix finds the row; the SHA-256 of the whole
/// key is compared in constant time. A fast hash is enough because the secret is 256 random
/// bits: there is nothing to brute-force, unlike a password.
/// </summary>
public static class ApiKeySecret
{
    private const string Scheme = "xcrm";

    public static (string Key, string Prefix, byte[] Hash) Generate()
    {
        var prefix = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(6));
        var secret = Base64Url(RandomNumberGenerator.GetBytes(32));
        var key = $"{Scheme}_{prefix}_{secret}";
        return (key, prefix, HashOf(key));
    }

    public static bool TryGetPrefix(string key, out string prefix)
    {
        prefix = "";
        var parts = key.Split('_', 3);
        if (parts.Length != 3 || parts[0] != Scheme || parts[1].Length != 12 || parts[2].Length < 32)
        {
            return false;
        }
        prefix = parts[1];
        return true;
    }

    public static byte[] HashOf(string key) => SHA256.HashData(Encoding.UTF8.GetBytes(key));

    public static bool Matches(string key, byte[] storedHash) =>
        CryptographicOperations.FixedTimeEquals(HashOf(key), storedHash);

    private static string Base64Url(byte[] bytes) =>
        Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}
