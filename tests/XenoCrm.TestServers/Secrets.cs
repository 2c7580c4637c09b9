using System.Security.Cryptography;

namespace XenoCrm.TestServers;

internal static class Secrets
{
    /// <summary>Lower-case hex, safe in SQL literals, URIs, node names and file names alike.</summary>
    public static string RandomHex(int length) => RandomNumberGenerator.GetHexString(length, lowercase: true);
}
