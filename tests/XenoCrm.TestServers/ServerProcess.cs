using System.Diagnostics;

namespace XenoCrm.TestServers;

/// <summary>A server running in the foreground as a child of the test process, its output appended to a log file.</summary>
internal sealed class ServerProcess
{
    // The shell redirects output to the file and then becomes the server (exec), so the pid is the
    // server's own and nothing in the test process has to drain a pipe for the server to make progress.
    private const string LaunchScript = "exec \"$0\" \"$@\" </dev/null >>\"$XENOCRM_TEST_SERVER_LOG\" 2>&1";

    private readonly Process _process;

    private ServerProcess(Process process) => _process = process;

    public int Pid => _process.Id;

    public bool HasExited => _process.HasExited;

    public int ExitCode => _process.ExitCode;

    public static ServerProcess Start(
        string executable,
        IEnumerable<string> arguments,
        InstanceDirectory directory,
        string logFile,
        IReadOnlyDictionary<string, string?>? environment = null)
    {
        var startInfo = new ProcessStartInfo("/bin/sh") { UseShellExecute = false, WorkingDirectory = directory.FullPath };
        startInfo.ArgumentList.Add("-c");
        startInfo.ArgumentList.Add(LaunchScript);
        startInfo.ArgumentList.Add(executable);
        foreach (var argument in arguments)
        {
            startInfo.ArgumentList.Add(argument);
        }

        startInfo.Environment["XENOCRM_TEST_SERVER_LOG"] = logFile;
        startInfo.Environment[InstanceDirectory.MarkerVariable] = directory.FullPath;
        foreach (var (name, value) in environment ?? new Dictionary<string, string?>())
        {
            if (value is null)
            {
                startInfo.Environment.Remove(name);
            }
            else
            {
                startInfo.Environment[name] = value;
            }
        }

        var process = Process.Start(startInfo) ?? throw new InvalidOperationException($"Could not start {executable}.");
        directory.RecordProcess(process.Id);
        return new ServerProcess(process);
    }

    /// <summary>Asks the server to shut down cleanly (SIGTERM).</summary>
    public void Terminate()
    {
        if (!_process.HasExited)
        {
            Signals.Send(_process.Id, Signals.Terminate);
        }
    }

    /// <summary>SIGKILL to the server and everything it started.</summary>
    public void KillTree()
    {
        try
        {
            _process.Kill(entireProcessTree: true);
        }
        catch (InvalidOperationException)
        {
            // Already exited.
        }
    }

    public async Task<bool> WaitForExitAsync(TimeSpan timeout)
    {
        using var cancellation = new CancellationTokenSource(timeout);
        try
        {
            await _process.WaitForExitAsync(cancellation.Token).ConfigureAwait(false);
            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    public void Release() => _process.Dispose();
}
