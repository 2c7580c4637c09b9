using System.Globalization;

namespace XenoCrm.TestServers;

/// <summary>
/// The folder one server instance lives in, stamped with the test process that owns it, so that a later
/// test run can kill and delete what a crashed run (or a debugger stopped mid-test) left behind.
/// </summary>
internal sealed class InstanceDirectory
{
    /// <summary>Set on every server process, so that a leftover can be recognized in /proc.</summary>
    public const string MarkerVariable = "XENOCRM_TEST_SERVER_DIR";

    private const string OwnerFile = "owner";
    private const string ProcessesFile = "processes";

    private static readonly Lazy<bool> _staleSweep = new(SweepStaleInstances);

    private InstanceDirectory(string path) => FullPath = path;

    public static string RootPath { get; } = Path.Combine(Path.GetTempPath(), "xenocrm-test-servers");

    public string FullPath { get; }

    public static InstanceDirectory Create(string kind)
    {
        _ = _staleSweep.Value;
        var path = Path.Combine(RootPath, $"{kind}-{Secrets.RandomHex(8)}");
        Directory.CreateDirectory(path);
        // Written aside and renamed, so that a sweep in another process never reads a half-written stamp.
        File.WriteAllText(Path.Combine(path, $"{OwnerFile}.new"), ProcessStamp(Environment.ProcessId));
        File.Move(Path.Combine(path, $"{OwnerFile}.new"), Path.Combine(path, OwnerFile));
        return new InstanceDirectory(path);
    }

    public string Combine(string name) => Path.Combine(FullPath, name);

    /// <summary>Notes a server process, for the sweep: Redis overwrites its own environment with its process title, so the marker variable alone is not enough.</summary>
    public void RecordProcess(int pid) => File.AppendAllText(Combine(ProcessesFile), ProcessStamp(pid) + "\n");

    public void Delete()
    {
        for (var attempt = 0; attempt < 3; attempt++)
        {
            try
            {
                if (Directory.Exists(FullPath))
                {
                    Directory.Delete(FullPath, recursive: true);
                }

                return;
            }
            catch (IOException)
            {
                // A server that has just been killed can still be closing files; try again shortly.
                Thread.Sleep(100);
            }
            catch (UnauthorizedAccessException)
            {
                Thread.Sleep(100);
            }
        }
    }

    private static bool SweepStaleInstances()
    {
        try
        {
            if (!Directory.Exists(RootPath))
            {
                return true;
            }

            foreach (var directory in Directory.GetDirectories(RootPath))
            {
                if (Path.GetFileName(directory) != "ports" && IsStale(directory))
                {
                    KillRecordedProcesses(directory);
                    KillProcessesMarkedWith(directory);
                    new InstanceDirectory(directory).Delete();
                }
            }
        }
        catch (IOException)
        {
            // Best effort: a sweep that fails leaves garbage behind, never breaks a test run.
        }
        catch (UnauthorizedAccessException)
        {
        }

        return true;
    }

    private static bool IsStale(string directory)
    {
        var owner = Path.Combine(directory, OwnerFile);
        if (!File.Exists(owner))
        {
            // Another process may have created the folder a moment ago and not stamped it yet.
            return Directory.GetCreationTimeUtc(directory) < DateTime.UtcNow.AddMinutes(-5);
        }

        var stamp = File.ReadAllText(owner).Split(' ');
        return stamp.Length != 2
            || !int.TryParse(stamp[0], NumberStyles.None, CultureInfo.InvariantCulture, out var pid)
            || ProcessStamp(pid) != string.Join(' ', stamp);
    }

    /// <summary>"pid start-time" of a live process, where start-time is the clock tick it started at, so that a reused pid does not count as alive; "" if it is not alive.</summary>
    private static string ProcessStamp(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            // Fields after the command name, which is in parentheses and may itself contain spaces.
            var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            // A zombie (Z) or dying (X) process is dead already: where the container's init does not reap, it lingers.
            return fields[0] is "Z" or "X" ? "" : $"{pid} {fields[19]}";
        }
        catch (IOException)
        {
            return "";
        }
    }

    private static void KillRecordedProcesses(string directory)
    {
        var processes = Path.Combine(directory, ProcessesFile);
        if (!File.Exists(processes))
        {
            return;
        }

        foreach (var stamp in File.ReadAllLines(processes))
        {
            if (int.TryParse(stamp.Split(' ')[0], NumberStyles.None, CultureInfo.InvariantCulture, out var pid) && ProcessStamp(pid) == stamp)
            {
                Signals.Send(pid, Signals.Kill);
            }
        }
    }

    private static void KillProcessesMarkedWith(string directory)
    {
        var marker = $"{MarkerVariable}={directory}\0";
        foreach (var proc in Directory.GetDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(proc), NumberStyles.None, CultureInfo.InvariantCulture, out var pid))
            {
                continue;
            }

            try
            {
                if (File.ReadAllText(Path.Combine(proc, "environ")).Contains(marker, StringComparison.Ordinal))
                {
                    Signals.Send(pid, Signals.Kill);
                }
            }
            catch (IOException)
            {
                // Gone already, or not ours to read.
            }
            catch (UnauthorizedAccessException)
            {
            }
        }
    }
}
