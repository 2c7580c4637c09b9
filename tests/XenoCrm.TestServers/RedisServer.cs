using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace XenoCrm.TestServers;

/// <summary>A throwaway Redis server on a loopback port, in memory only.</summary>
public sealed class RedisServer : ThrowawayServer
{
    private RedisServer(InstanceDirectory directory, int port)
        : base(directory, port)
    {
    }

    /// <summary>StackExchange.Redis configuration string.</summary>
    public string ConnectionString => $"127.0.0.1:{Port}";

    private protected override string Name => $"Redis on port {Port}";

    private protected override TimeSpan StartTimeout => TimeSpan.FromSeconds(10);

    public static Task<RedisServer> StartAsync(CancellationToken ct = default) =>
        BootOrDisposeAsync(new RedisServer(InstanceDirectory.Create("redis"), FreePort.Next()), (server, token) => server.LaunchAsync(token), ct);

    /// <summary>Kills the server, losing everything it held (it persists nothing), and starts it again on the same port.</summary>
    public async Task RestartAsync(CancellationToken ct = default)
    {
        await KillAsync().ConfigureAwait(false);
        await StartAgainAsync(ct).ConfigureAwait(false);
    }

    private protected override ServerProcess StartProcess()
    {
        var server = Executables.Find("redis-server", "redis-server");
        string[] arguments =
        [
            "--port", Port.ToString(CultureInfo.InvariantCulture),
            "--bind", "127.0.0.1",
            "--dir", Instance.FullPath,
            "--daemonize", "no",
            // Nothing to persist: the instance is deleted with the test.
            "--save", "",
            "--appendonly", "no",
        ];
        return ServerProcess.Start(server, arguments, Instance, LogFile);
    }

    private protected override async Task<string?> NotReadyAsync(CancellationToken ct) =>
        await AnswersPingAsync(ct).ConfigureAwait(false) ? null : "no PONG";

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
