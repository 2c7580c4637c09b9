using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace XenoCrm.TestServers;

/// <summary>A throwaway Redis server on a loopback port, in memory only.</summary>
public sealed class RedisServer : IAsyncDisposable
{
    private static readonly TimeSpan _startTimeout = TimeSpan.FromSeconds(10);

    private readonly InstanceDirectory _directory;
    private ServerProcess? _process;
    private bool _disposed;

    private RedisServer(InstanceDirectory directory, int port)
    {
        _directory = directory;
        Port = port;
        ExitCleanup.Register(this, KillAndDelete);
    }

    public int Port { get; }

    /// <summary>StackExchange.Redis configuration string.</summary>
    public string ConnectionString => $"127.0.0.1:{Port}";

    private string LogFile => _directory.Combine("server.log");

    public static async Task<RedisServer> StartAsync(CancellationToken ct = default)
    {
        var server = new RedisServer(InstanceDirectory.Create("redis"), FreePort.Next());
        try
        {
            await server.LaunchAsync(ct).ConfigureAwait(false);
            return server;
        }
        catch
        {
            await server.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>Kills the server, losing everything it held (it persists nothing), and starts it again on the same port.</summary>
    public async Task RestartAsync(CancellationToken ct = default)
    {
        if (_process is { } process)
        {
            process.KillTree();
            await process.WaitForExitAsync(_startTimeout).ConfigureAwait(false);
            process.Release();
            _process = null;
        }

        await LaunchAsync(ct).ConfigureAwait(false);
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

        return ValueTask.CompletedTask;
    }

    private void KillAndDelete()
    {
        if (_process is { } process)
        {
            process.KillTree();
            process.WaitForExitAsync(_startTimeout).GetAwaiter().GetResult();
            process.Release();
        }

        _directory.Delete();
    }

    private async Task LaunchAsync(CancellationToken ct)
    {
        var server = Executables.Find("redis-server", "redis-server");
        string[] arguments =
        [
            "--port", Port.ToString(CultureInfo.InvariantCulture),
            "--bind", "127.0.0.1",
            "--dir", _directory.FullPath,
            "--daemonize", "no",
            // Nothing to persist: the instance is deleted with the test.
            "--save", "",
            "--appendonly", "no",
        ];
        var stopwatch = Stopwatch.StartNew();
        _process = ServerProcess.Start(server, arguments, _directory, LogFile);
        while (!await AnswersPingAsync(ct).ConfigureAwait(false))
        {
            if (_process.HasExited)
            {
                throw new InvalidOperationException($"Redis on port {Port} exited with code {_process.ExitCode} while starting.\n{LogTail.Read(LogFile)}");
            }

            if (stopwatch.Elapsed > _startTimeout)
            {
                _process.KillTree();
                throw new TimeoutException($"Redis on port {Port} did not answer PING within {_startTimeout.TotalSeconds:0} s.\n{LogTail.Read(LogFile)}");
            }

            await Task.Delay(50, ct).ConfigureAwait(false);
        }
    }

    private async Task<bool> AnswersPingAsync(CancellationToken ct)
    {
        try
        {
            using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
            timeout.CancelAfter(TimeSpan.FromSeconds(2));
            await socket.ConnectAsync(new IPEndPoint(IPAddress.Loopback, Port), timeout.Token).ConfigureAwait(false);
            await socket.SendAsync("PING\r\n"u8.ToArray(), SocketFlags.None, timeout.Token).ConfigureAwait(false);
            var reply = new byte[7];
            var length = await socket.ReceiveAsync(reply, SocketFlags.None, timeout.Token).ConfigureAwait(false);
            return Encoding.ASCII.GetString(reply, 0, length).StartsWith("+PONG", StringComparison.Ordinal);
        }
        catch (SocketException)
        {
            return false;
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            return false;
        }
    }
}
