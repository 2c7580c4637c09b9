using System.Diagnostics;
using System.Text.RegularExpressions;
using MySqlConnector;

namespace XenoCrm.TestServers;

/// <summary>
/// A throwaway MariaDB server on a loopback port, in its own data directory. Durability settings are
/// the defaults on purpose: tests kill it and check that nothing committed is lost.
/// </summary>
public sealed partial class MariaDbServer : IAsyncDisposable
{
    private const string AppUser = "xeno";
    private static readonly TimeSpan _startTimeout = TimeSpan.FromSeconds(20);
    private static readonly TimeSpan _stopTimeout = TimeSpan.FromSeconds(60);

    private readonly InstanceDirectory _directory;
    private readonly string _bufferPoolSize;
    private readonly string _password = Secrets.RandomHex(24);
    private ServerProcess? _process;
    private bool _disposed;

    private MariaDbServer(InstanceDirectory directory, int port, string bufferPoolSize)
    {
        _directory = directory;
        Port = port;
        _bufferPoolSize = bufferPoolSize;
        ExitCleanup.Register(this, KillAndDelete);
    }

    public int Port { get; }

    private string DataDirectory => _directory.Combine("data");

    private string Socket => _directory.Combine("mysqld.sock");

    private string LogFile => _directory.Combine("server.log");

    // Its own tmpdir per instance: instances bootstrapping at once in a shared /tmp clash on
    // internal temporary-table names and mariadb-install-db fails.
    private string TempDirectory => _directory.Combine("tmp");

    // Root authenticates over the socket only; everything the tests see goes through the app user.
    private string RootConnectionString =>
        $"Server={Socket};Protocol=Unix;User ID=root;Pooling=false;Connection Timeout=5";

    public static async Task<MariaDbServer> StartAsync(string bufferPoolSize = "256M", CancellationToken ct = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(bufferPoolSize);
        var server = new MariaDbServer(InstanceDirectory.Create("mariadb"), FreePort.Next(), bufferPoolSize);
        try
        {
            await server.InstallAsync(ct).ConfigureAwait(false);
            await server.LaunchAsync(ct).ConfigureAwait(false);
            await server.ExecuteAsRootAsync(
                $"CREATE USER '{AppUser}'@'%' IDENTIFIED BY '{server._password}'; " +
                $"GRANT ALL PRIVILEGES ON *.* TO '{AppUser}'@'%' WITH GRANT OPTION;",
                ct).ConfigureAwait(false);
            return server;
        }
        catch
        {
            await server.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>The app user's connection string for <paramref name="database"/> over TCP.</summary>
    public string ConnectionString(string database)
    {
        ValidateDatabaseName(database);
        return $"Server=127.0.0.1;Port={Port};User ID={AppUser};Password={_password};Database={database};AllowLoadLocalInfile=true";
    }

    /// <summary>Creates a new, empty database and returns the app user's connection string for it.</summary>
    public async Task<string> CreateDatabaseAsync(string? name = null, CancellationToken ct = default)
    {
        name ??= $"xeno_{Secrets.RandomHex(12)}";
        ValidateDatabaseName(name);
        await ExecuteAsRootAsync($"CREATE DATABASE `{name}`", ct).ConfigureAwait(false);
        return ConnectionString(name);
    }

    /// <summary>Clean shutdown (SIGTERM); the data directory and the port are kept for <see cref="StartAgainAsync"/>.</summary>
    public async Task StopAsync()
    {
        if (_process is not { HasExited: false } process)
        {
            return;
        }

        process.Terminate();
        if (!await process.WaitForExitAsync(_stopTimeout).ConfigureAwait(false))
        {
            process.KillTree();
            throw new TimeoutException($"MariaDB on port {Port} did not shut down within {_stopTimeout.TotalSeconds:0} s, killed it.\n{LogTail.Read(LogFile)}");
        }
    }

    /// <summary>SIGKILL, as a crash or an OOM kill would: InnoDB recovers from its redo log on the next start.</summary>
    public async Task KillAsync()
    {
        if (_process is not { HasExited: false } process)
        {
            return;
        }

        process.KillTree();
        await process.WaitForExitAsync(_stopTimeout).ConfigureAwait(false);
    }

    /// <summary>Starts the server again on the same data directory and port, once it accepts connections.</summary>
    public Task StartAgainAsync(CancellationToken ct = default)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_process is { HasExited: false })
        {
            throw new InvalidOperationException($"MariaDB on port {Port} is already running.");
        }

        return LaunchAsync(ct);
    }

    /// <summary>Kills the server and deletes its data directory.</summary>
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
            // The data is about to be deleted, so a clean shutdown would only cost time.
            process.KillTree();
            process.WaitForExitAsync(_stopTimeout).GetAwaiter().GetResult();
            process.Release();
        }

        _directory.Delete();
    }

    private async Task InstallAsync(CancellationToken ct)
    {
        var installer = Executables.Find("mariadb-server", "mariadb-install-db", "mysql_install_db");
        Directory.CreateDirectory(TempDirectory);
        var arguments = new List<string>
        {
            "--no-defaults",
            $"--datadir={DataDirectory}",
            $"--tmpdir={TempDirectory}",
            "--auth-root-authentication-method=normal",
            "--skip-test-db",
            "--skip-name-resolve",
            "--innodb-log-file-size=256M",
        };
        if (Environment.UserName == "root")
        {
            arguments.Add("--user=root");
        }

        var (exitCode, output) = await CommandLine.RunAsync(installer, arguments, _startTimeout, workingDirectory: _directory.FullPath, ct: ct)
            .ConfigureAwait(false);
        if (exitCode != 0)
        {
            throw new InvalidOperationException($"{installer} failed with exit code {exitCode}:\n{output}");
        }
    }

    private async Task LaunchAsync(CancellationToken ct)
    {
        var server = Executables.Find("mariadb-server", "mariadbd", "mysqld");
        var arguments = new List<string>
        {
            "--no-defaults",
            $"--datadir={DataDirectory}",
            $"--tmpdir={TempDirectory}",
            $"--port={Port}",
            $"--socket={Socket}",
            $"--pid-file={_directory.Combine("mysqld.pid")}",
            "--bind-address=127.0.0.1",
            $"--innodb-buffer-pool-size={_bufferPoolSize}",
            "--innodb-log-file-size=256M",
            "--skip-name-resolve",
            "--max-connections=500",
            "--local-infile=1",
            // What Debian's packaged configuration sets, which --no-defaults leaves out (the built-in default is latin1).
            "--character-set-server=utf8mb4",
            "--collation-server=utf8mb4_general_ci",
        };
        if (Environment.UserName == "root")
        {
            // mariadbd refuses to run as root unless told to, and the data directory is root's anyway.
            arguments.Add("--user=root");
        }

        var stopwatch = Stopwatch.StartNew();
        _process?.Release();
        _process = ServerProcess.Start(server, arguments, _directory, LogFile);
        while (true)
        {
            ct.ThrowIfCancellationRequested();
            if (_process.HasExited)
            {
                throw new InvalidOperationException($"MariaDB on port {Port} exited with code {_process.ExitCode} while starting.\n{LogTail.Read(LogFile)}");
            }

            try
            {
                await using var connection = new MySqlConnection(RootConnectionString);
                await connection.OpenAsync(ct).ConfigureAwait(false);
                return;
            }
            catch (MySqlException) when (stopwatch.Elapsed < _startTimeout)
            {
                await Task.Delay(50, ct).ConfigureAwait(false);
            }
            catch (MySqlException exception)
            {
                _process.KillTree();
                throw new TimeoutException(
                    $"MariaDB on port {Port} did not accept connections within {_startTimeout.TotalSeconds:0} s ({exception.Message}).\n{LogTail.Read(LogFile)}",
                    exception);
            }
        }
    }

    private async Task ExecuteAsRootAsync(string sql, CancellationToken ct)
    {
        await using var connection = new MySqlConnection(RootConnectionString);
        await connection.OpenAsync(ct).ConfigureAwait(false);
        await using var command = new MySqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
    }

    private static void ValidateDatabaseName(string name)
    {
        if (!DatabaseName().IsMatch(name))
        {
            throw new ArgumentException($"'{name}' is not a database name these tests use: letters, digits, '_', '-' and '$', at most 64.", nameof(name));
        }
    }

    [GeneratedRegex("^[A-Za-z0-9_$-]{1,64}$")]
    private static partial Regex DatabaseName();
}
