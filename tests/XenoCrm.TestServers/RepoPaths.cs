namespace XenoCrm.TestServers;

/// <summary>Where the solution and its build output are, seen from the running test assembly.</summary>
public static class RepoPaths
{
    private static readonly Lazy<string> _root = new(FindRoot);
    private static readonly Lazy<string> _configuration = new(FindConfiguration);

    /// <summary>The folder holding XenoCrm.sln.</summary>
    public static string Root => _root.Value;

    /// <summary>"Debug" or "Release": the configuration the test assembly itself was built in, so the apps it runs match it.</summary>
    public static string Configuration => _configuration.Value;

    private static string FindRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "XenoCrm.sln")))
            {
                return directory.FullName;
            }
        }

        throw new InvalidOperationException($"No XenoCrm.sln in {AppContext.BaseDirectory} or any folder above it.");
    }

    private static string FindConfiguration()
    {
        // <project>/bin/<Configuration>/<tfm>/
        var segments = AppContext.BaseDirectory.Split(Path.DirectorySeparatorChar, StringSplitOptions.RemoveEmptyEntries);
        var bin = Array.LastIndexOf(segments, "bin");
        if (bin >= 0 && bin + 1 < segments.Length)
        {
            return segments[bin + 1];
        }

#if DEBUG
        return "Debug";
#else
        return "Release";
#endif
    }
}
