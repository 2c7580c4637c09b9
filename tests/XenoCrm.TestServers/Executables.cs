namespace XenoCrm.TestServers;

internal static class Executables
{
    // Server binaries live in sbin, which is not on a non-root user's PATH on Debian.
    private static readonly string[] _extraDirectories = ["/usr/sbin", "/sbin", "/usr/local/sbin"];

    /// <summary>The first of <paramref name="candidates"/> (absolute paths or names looked up on PATH and in sbin) that exists.</summary>
    public static string Find(string package, params string[] candidates)
    {
        var path = (Environment.GetEnvironmentVariable("PATH") ?? "")
            .Split(':', StringSplitOptions.RemoveEmptyEntries)
            .Concat(_extraDirectories)
            .ToArray();
        foreach (var candidate in candidates)
        {
            if (Path.IsPathRooted(candidate))
            {
                if (File.Exists(candidate))
                {
                    return candidate;
                }

                continue;
            }

            foreach (var directory in path)
            {
                var full = Path.Combine(directory, candidate);
                if (File.Exists(full))
                {
                    return full;
                }
            }
        }

        throw new InvalidOperationException(
            $"None of {string.Join(", ", candidates)} was found on PATH or in /usr/sbin. Install the Debian package {package} (scripts/test.sh does).");
    }
}
