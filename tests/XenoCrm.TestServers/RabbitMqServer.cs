using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;

namespace XenoCrm.TestServers;

/// <summary>
/// A throwaway RabbitMQ node on a loopback port, with its own node name, database, cookie and config.
/// </summary>
/// <remarks>
/// The node runs as the current user from /usr/lib/rabbitmq/bin rather than through Debian's
/// /usr/sbin wrapper, which would su to the rabbitmq user and read the system cookie: this keeps the
/// instance's files in one folder the test process owns, and works for a non-root user too.
/// </remarks>
public sealed class RabbitMqServer : ThrowawayServer
{
    private const string AppUser = "xeno";
    private const string ReadyLine = "Server startup complete";
    private static readonly TimeSpan _commandTimeout = TimeSpan.FromSeconds(60);

    private readonly string _nodeName = $"xeno-{Secrets.RandomHex(10)}@localhost";
    private readonly string _password = Secrets.RandomHex(24);
    private readonly Dictionary<string, string?> _environment;
    private long _nodeLogStart;

    private RabbitMqServer(InstanceDirectory directory, int port, int distributionPort)
        : base(directory, port)
    {
        _environment = new Dictionary<string, string?>
        {
            // Erlang reads the cookie from $HOME; a private home keeps nodes and CLI calls of parallel instances apart.
            ["HOME"] = directory.Combine("home"),
            ["RABBITMQ_NODENAME"] = _nodeName,
            ["RABBITMQ_NODE_IP_ADDRESS"] = "127.0.0.1",
            ["RABBITMQ_NODE_PORT"] = port.ToString(CultureInfo.InvariantCulture),
            ["RABBITMQ_DIST_PORT"] = distributionPort.ToString(CultureInfo.InvariantCulture),
            ["RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS"] = "-kernel inet_dist_use_interface {127,0,0,1}",
            ["RABBITMQ_MNESIA_BASE"] = directory.Combine("mnesia"),
            ["RABBITMQ_LOG_BASE"] = directory.Combine("log"),
            ["RABBITMQ_CONFIG_FILE"] = directory.Combine("rabbitmq.config"),
            // Neither of these exists: the system's /etc/rabbitmq files must not leak into a test node.
            ["RABBITMQ_ADVANCED_CONFIG_FILE"] = directory.Combine("advanced.config"),
            ["RABBITMQ_CONF_ENV_FILE"] = directory.Combine("rabbitmq-env.conf"),
            ["RABBITMQ_ENABLED_PLUGINS_FILE"] = directory.Combine("enabled_plugins"),
        };
        foreach (var name in Environment.GetEnvironmentVariables().Keys.Cast<string>())
        {
            if (name.StartsWith("RABBITMQ_", StringComparison.Ordinal) || name.StartsWith("ERL_", StringComparison.Ordinal))
            {
                _environment.TryAdd(name, null);
            }
        }
    }

    private protected override string Name => $"RabbitMQ node {_nodeName}";

    private protected override TimeSpan StartTimeout => TimeSpan.FromSeconds(60);

    private protected override TimeSpan PollInterval => TimeSpan.FromMilliseconds(100);

    /// <summary>The node's own log, where everything after the banner goes when standard output is not a terminal.</summary>
    private string NodeLogFile => Path.Combine(Instance.Combine("log"), $"{_nodeName}.log");

    private string BeamPidFile => Path.Combine(Instance.Combine("mnesia"), $"{_nodeName}.pid");

    public static Task<RabbitMqServer> StartAsync(CancellationToken ct = default) =>
        BootOrDisposeAsync(new RabbitMqServer(InstanceDirectory.Create("rabbitmq"), FreePort.Next(), FreePort.Next()), (server, token) =>
        {
            server.WriteConfiguration();
            return server.LaunchAsync(token);
        }, ct);

    /// <summary>Creates a virtual host the app user has every permission on, and returns the app user's amqp:// URI for it.</summary>
    public async Task<string> CreateVirtualHostAsync(string? name = null, CancellationToken ct = default)
    {
        name ??= $"xeno-{Secrets.RandomHex(12)}";
        ArgumentException.ThrowIfNullOrEmpty(name);

        // One CLI call instead of add_vhost + set_permissions: each call boots an Erlang VM (~0.5 s).
        var definitions = Instance.Combine($"vhost-{Secrets.RandomHex(8)}.json");
        await File.WriteAllTextAsync(definitions, JsonSerializer.Serialize(new
        {
            vhosts = new[] { new { name } },
            permissions = new[] { new { user = AppUser, vhost = name, configure = ".*", write = ".*", read = ".*" } },
        }), ct).ConfigureAwait(false);
        await RabbitMqCtlAsync(ct, "import_definitions", definitions).ConfigureAwait(false);
        File.Delete(definitions);
        return $"amqp://{AppUser}:{_password}@127.0.0.1:{Port}/{Uri.EscapeDataString(name)}";
    }

    /// <summary>
    /// Closes every client connection of every virtual host, as a network drop or a broker maintenance would, while the
    /// node stays up: what the clients' automatic recovery must mend.
    /// </summary>
    public Task CloseAllConnectionsAsync(CancellationToken ct = default) =>
        RabbitMqCtlAsync(ct, "close_all_connections", "--global", "dropped by a test");

    private void WriteConfiguration()
    {
        Directory.CreateDirectory(Instance.Combine("mnesia"));
        Directory.CreateDirectory(Instance.Combine("log"));
        var home = Directory.CreateDirectory(Instance.Combine("home")).FullName;

        // Written before the first start so that the node and the CLI can never race to create two different ones.
        var cookie = Path.Combine(home, ".erlang.cookie");
        File.WriteAllText(cookie, Secrets.RandomHex(20).ToUpperInvariant());
        if (!OperatingSystem.IsWindows())
        {
            // Erlang refuses a cookie file others can read.
            File.SetUnixFileMode(cookie, UnixFileMode.UserRead);
        }

        File.WriteAllText(Instance.Combine("enabled_plugins"), "[].\n");
        // The classic Erlang-terms format: a .conf file goes through cuttlefish's schema translation, which costs
        // almost a second of every boot. The disk limit is low because the alarm would block every publisher, and
        // the disk is shared with MariaDB data and benchmark files.
        File.WriteAllText(Instance.Combine("rabbitmq.config"), $$"""
            [{rabbit, [
                {default_vhost, <<"/">>},
                {default_user, <<"{{AppUser}}">>},
                {default_pass, <<"{{_password}}">>},
                {default_user_tags, [administrator]},
                {default_permissions, [<<".*">>, <<".*">>, <<".*">>]},
                {disk_free_limit, 1000000}
            ]}].

            """);
    }

    private protected override ServerProcess StartProcess()
    {
        var server = Executables.Find("rabbitmq-server", "/usr/lib/rabbitmq/bin/rabbitmq-server", "rabbitmq-server");
        // The node's log is kept across restarts: only what this start writes says it is ready.
        _nodeLogStart = File.Exists(NodeLogFile) ? new FileInfo(NodeLogFile).Length : 0;
        return ServerProcess.Start(server, [], Instance, LogFile, _environment);
    }

    private protected override async Task<string?> NotReadyAsync(CancellationToken ct) =>
        !NodeLogContains(_nodeLogStart, ReadyLine) ? $"no \"{ReadyLine}\" in its log yet"
        : !await AcceptsAmqpAsync(ct).ConfigureAwait(false) ? "no AMQP answer"
        : null;

    private bool NodeLogContains(long offset, string text)
    {
        if (!File.Exists(NodeLogFile))
        {
            return false;
        }

        using var stream = new FileStream(NodeLogFile, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        stream.Seek(offset, SeekOrigin.Begin);
        using var reader = new StreamReader(stream, Encoding.UTF8);
        return reader.ReadToEnd().Contains(text, StringComparison.Ordinal);
    }

    /// <summary>Sends the AMQP 0-9-1 protocol header and expects a method frame (Connection.Start) back.</summary>
    private async Task<bool> AcceptsAmqpAsync(CancellationToken ct)
    {
        try
        {
            using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
            timeout.CancelAfter(TimeSpan.FromSeconds(5));
            await socket.ConnectAsync(new IPEndPoint(IPAddress.Loopback, Port), timeout.Token).ConfigureAwait(false);
            await socket.SendAsync("AMQP\0\0\u0009\u0001"u8.ToArray(), SocketFlags.None, timeout.Token).ConfigureAwait(false);
            var frameType = new byte[1];
            return await socket.ReceiveAsync(frameType, SocketFlags.None, timeout.Token).ConfigureAwait(false) == 1 && frameType[0] == 1;
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

    // rabbitmq-server traps SIGTERM and stops the node the way `rabbitmqctl stop` does, without booting a CLI VM; the
    // Erlang VM may still be exiting when the script has.
    private protected override async Task<bool> WaitForStragglersAsync(TimeSpan timeout)
    {
        var stopwatch = Stopwatch.StartNew();
        while (RunningBeamPid() is not null)
        {
            if (stopwatch.Elapsed > timeout)
            {
                return false;
            }

            await Task.Delay(50).ConfigureAwait(false);
        }

        return true;
    }

    // The Erlang VM is a child of the rabbitmq-server script; killing the script's tree normally takes it
    // along, but the pid file covers a VM whose parent died first.
    private protected override void KillStragglers()
    {
        if (RunningBeamPid() is { } pid)
        {
            Signals.Send(pid, Signals.Kill);
        }
    }

    /// <summary>The node's Erlang VM from its pid file, if that process is alive and was started for this instance (pids get reused).</summary>
    private int? RunningBeamPid()
    {
        try
        {
            if (!int.TryParse(File.ReadAllText(BeamPidFile).Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var pid))
            {
                return null;
            }

            var environ = File.ReadAllText($"/proc/{pid}/environ");
            return environ.Contains($"{InstanceDirectory.MarkerVariable}={Instance.FullPath}\0", StringComparison.Ordinal) ? pid : null;
        }
        catch (IOException)
        {
            return null;
        }
        catch (UnauthorizedAccessException)
        {
            return null;
        }
    }

    private protected override string Logs() => $"{LogTail.Read(LogFile, 15)}\n{LogTail.Read(NodeLogFile)}";

    private async Task RabbitMqCtlAsync(CancellationToken ct, params string[] arguments)
    {
        var ctl = Executables.Find("rabbitmq-server", "/usr/lib/rabbitmq/bin/rabbitmqctl", "rabbitmqctl");
        var (exitCode, output) = await CommandLine.RunAsync(
            ctl, ["-n", _nodeName, .. arguments], _commandTimeout, _environment, Instance.FullPath, ct).ConfigureAwait(false);
        if (exitCode != 0)
        {
            throw new InvalidOperationException(
                $"rabbitmqctl {string.Join(' ', arguments)} failed with exit code {exitCode}:\n{output}\n{Logs()}");
        }
    }
}
