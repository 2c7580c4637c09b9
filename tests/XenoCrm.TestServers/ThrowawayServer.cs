using System.Diagnostics;

namespace XenoCrm.TestServers;

/// <summary>
/// The lifecycle every throwaway server shares: launch it in the foreground and wait until it answers, stop it cleanly,
/// kill it as a crash would, start it again on the same data and port, and kill it and delete its folder when disposed
/// or when the test process exits. Each server says how it starts, how it answers, and what outlives its process.
/// </summary>
public abstract class ThrowawayServer : IAsyncDisposable
{
    private ServerProcess? _process;
    private bool _disposed;

    private protected ThrowawayServer(InstanceDirectory directory, int port)
    {
        Instance = directory;
        Port = port;
        ExitCleanup.Register(this, KillAndDelete);
    }

    public int Port { get; }

    /// <summary>The folder the server lives in.</summary>
    private protected InstanceDirectory Instance { get; }

    /// <summary>The server's standard output and error.</summary>
    private protected string LogFile => Instance.Combine("server.log");

    /// <summary>How failures name the server: "MariaDB on port 33061".</summary>
    private protected abstract string Name { get; }

    private protected abstract TimeSpan StartTimeout { get; }

    private protected virtual TimeSpan StopTimeout => StartTimeout;

    private protected virtual TimeSpan PollInterval => TimeSpan.FromMilliseconds(50);

    /// <summary>Clean shutdown (SIGTERM); the data and the port are kept for <see cref="StartAgainAsync"/>.</summary>
    public async Task StopAsync()
    {
        if (_process is not { HasExited: false } process)
        {
            return;
        }

        process.Terminate();
        if (!await process.WaitForExitAsync(StopTimeout).ConfigureAwait(false) || !await WaitForStragglersAsync(StopTimeout).ConfigureAwait(false))
        {
            process.KillTree();
            KillStragglers();
            throw new TimeoutException($"{Name} did not shut down within {StopTimeout.TotalSeconds:0} s, killed it.\n{Logs()}");
        }
    }

    /// <summary>SIGKILL to the server and everything it started, as a crash or an OOM kill would.</summary>
    public async Task KillAsync()
    {
        if (_process is not { HasExited: false } process)
        {
            return;
        }

        process.KillTree();
        KillStragglers();
        await process.WaitForExitAsync(StopTimeout).ConfigureAwait(false);
    }

    /// <summary>Starts the server again on the same data and port, once it answers.</summary>
    public Task StartAgainAsync(CancellationToken ct = default)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_process is { HasExited: false })
        {
            throw new InvalidOperationException($"{Name} is already running.");
        }

        return LaunchAsync(ct);
    }

    /// <summary>Kills the server and deletes its folder.</summary>
    public ValueTask DisposeAsync()
    {
        if (!_disposed)
        {
            _disposed = true;
            ExitCleanup.Unregister(this);
            KillAndDelete();
        }

        GC.SuppressFinalize(this);
        return ValueTask.CompletedTask;
    }

    /// <summary>Runs <paramref name="boot"/> on a new server; one that fails to boot is disposed, so that nothing of it is left.</summary>
    private protected static async Task<TServer> BootOrDisposeAsync<TServer>(TServer server, Func<TServer, CancellationToken, Task> boot, CancellationToken ct)
        where TServer : ThrowawayServer
    {
        try
        {
            await boot(server, ct).ConfigureAwait(false);
            return server;
        }
        catch
        {
            await server.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>Starts the server's process and waits until it answers; one that exits or stays silent fails with its logs.</summary>
    private protected async Task LaunchAsync(CancellationToken ct)
    {
        var stopwatch = Stopwatch.StartNew();
        _process?.Release();
        _process = StartProcess();
        while (await NotReadyAsync(ct).ConfigureAwait(false) is { } reason)
        {
            if (_process.HasExited)
            {
                KillStragglers();
                throw new InvalidOperationException($"{Name} exited with code {_process.ExitCode} while starting.\n{Logs()}");
            }

            if (stopwatch.Elapsed > StartTimeout)
            {
                _process.KillTree();
                KillStragglers();
                throw new TimeoutException($"{Name} did not start within {StartTimeout.TotalSeconds:0} s ({reason}).\n{Logs()}");
            }

            await Task.Delay(PollInterval, ct).ConfigureAwait(false);
        }
    }

    /// <summary>Starts the server's process (<see cref="ServerProcess.Start"/>), its output into <see cref="LogFile"/>.</summary>
    private protected abstract ServerProcess StartProcess();

    /// <summary>Null once the server answers as the tests need it; until then, why not.</summary>
    private protected abstract Task<string?> NotReadyAsync(CancellationToken ct);

    /// <summary>What a failure shows of the server's logs.</summary>
    private protected virtual string Logs() => LogTail.Read(LogFile);

    /// <summary>Kills what may outlive the server's process tree (RabbitMQ's Erlang VM).</summary>
    private protected virtual void KillStragglers()
    {
    }

    /// <summary>After a clean stop, waits for what may outlive the server's process to go; false if it did not in time.</summary>
    private protected virtual Task<bool> WaitForStragglersAsync(TimeSpan timeout) => Task.FromResult(true);

    private void KillAndDelete()
    {
        if (_process is { } process)
        {
            // The data is about to be deleted, so a clean shutdown would only cost time.
            process.KillTree();
            KillStragglers();
            process.WaitForExitAsync(StopTimeout).GetAwaiter().GetResult();
            process.Release();
        }

        Instance.Delete();
    }
}
