using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using MySqlConnector;
using XenoCrm.TestServers;

namespace XenoCrm.Bench;

/// <summary>What a report says about the machine it ran on: every server and app shares its cores, so anything else running skews the rates.</summary>
internal static class BenchMachine
{
    // USER_HZ, which Linux fixes at 100 on every architecture .NET runs on.
    private const double ClockTicksPerSecond = 100;

    public static string LoadAverage()
    {
        try
        {
            return string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3));
        }
        catch (IOException)
        {
            return "unknown";
        }
    }

    /// <summary>CPU time (user + system) the process has used so far, in seconds; NaN once it is gone.</summary>
    public static double CpuSeconds(int pid)
    {
        try
        {
            // The command name in parentheses may hold spaces: count fields from after it (utime and stime are fields 14 and 15).
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            return (long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture)) / ClockTicksPerSecond;
        }
        catch (IOException)
        {
            return double.NaN;
        }
    }

    /// <summary>CPU time the whole machine has spent busy (neither idle nor waiting for I/O) since boot, in seconds of one core.</summary>
    public static double MachineBusySeconds()
    {
        try
        {
            var fields = File.ReadLines("/proc/stat").First().Split(' ', StringSplitOptions.RemoveEmptyEntries).Skip(1)
                .Select(f => long.Parse(f, CultureInfo.InvariantCulture)).ToArray();
            // user nice system idle iowait irq softirq steal (guest time is already counted in user).
            return (fields.Take(8).Sum() - fields[3] - fields[4]) / ClockTicksPerSecond;
        }
        catch (IOException)
        {
            return double.NaN;
        }
    }

    /// <summary>Cores, OS, load average at the start (given) and now, MariaDB's version and buffer pool, and the commit.</summary>
    public static async Task<string> DescribeAsync(MariaDbServer mariaDb, string loadAverageAtStart, CancellationToken ct)
    {
        await using var connection = new MySqlConnection(mariaDb.ConnectionString("mysql"));
        await connection.OpenAsync(ct);
        // ServerVersion carries MariaDB's "5.5.5-" compatibility prefix; VERSION() does not.
        await using var command = new MySqlCommand("SELECT VERSION(), @@innodb_buffer_pool_size", connection);
        await using var reader = await command.ExecuteReaderAsync(ct);
        await reader.ReadAsync(ct);
        var bufferPoolMb = reader.GetInt64(1) / (1024 * 1024);
        return $"{Environment.ProcessorCount} cores, {RuntimeInformation.OSDescription}, " +
            $"load average {loadAverageAtStart} at start and {LoadAverage()} at the end, " +
            $"MariaDB {reader.GetString(0)} (buffer pool {bufferPoolMb.ToString("N0", CultureInfo.InvariantCulture)} MB), commit {GitCommit()}";
    }

    public static string GitCommit() => Git("rev-parse", "--short", "HEAD") ?? "unknown";

    /// <summary>
    /// Why the built apps are not HEAD, or null. Each app's informational version ends with the commit it was built
    /// from (<c>1.0.0+&lt;sha&gt;</c>); a report that names HEAD must measure HEAD, not the last build.
    /// </summary>
    public static string? StaleBuild()
    {
        if (Git("rev-parse", "HEAD") is not { } head)
        {
            return null;
        }
        foreach (var project in (string[])["XenoCrm.Web", "XenoCrm.Workers", "XenoCrm.Delivery"])
        {
            var dll = Path.Combine(RepoPaths.Root, project, "bin", RepoPaths.Configuration, "net10.0", $"{project}.dll");
            if (!File.Exists(dll))
            {
                continue; // Starting the app says how to build it.
            }
            var built = FileVersionInfo.GetVersionInfo(dll).ProductVersion?.Split('+') is [_, var commit] ? commit : "an unknown commit";
            if (built != head)
            {
                return $"{project} was built from {built}, but HEAD is {head}. Build first (dotnet build XenoCrm.sln -c {RepoPaths.Configuration}), so that the report measures the commit it names.";
            }
        }
        return null;
    }

    private static string? Git(params string[] arguments)
    {
        try
        {
            using var git = Process.Start(new ProcessStartInfo("git", ["-C", RepoPaths.Root, .. arguments])
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
            });
            var output = git?.StandardOutput.ReadToEnd().Trim();
            git?.WaitForExit();
            return git is { ExitCode: 0 } && !string.IsNullOrEmpty(output) ? output : null;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return null;
        }
    }
}
