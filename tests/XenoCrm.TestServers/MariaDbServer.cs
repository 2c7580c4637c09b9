using System.Text.RegularExpressions;
using MySqlConnector;

namespace XenoCrm.TestServers;

/// <summary>
/// A throwaway MariaDB server on a loopback port, in its own data directory. Durability settings are
/// the defaults on purpose: tests kill it and check that nothing committed is lost.
/// </summary>
public sealed partial class MariaDbServer : ThrowawayServer
{
    private const string AppUser = "xeno";

    private readonly string _bufferPoolSize;
    private readonly string _password = Secrets.RandomHex(24);

    private MariaDbServer(InstanceDirectory directory, int port, string bufferPoolSize)
        : base(directory, port)
    {
        _bufferPoolSize = bufferPoolSize;
    }

    private protected override string Name => $"MariaDB on port {Port}";

    private protected override TimeSpan StartTimeout => TimeSpan.FromSeconds(20);

    private protected override TimeSpan StopTimeout => TimeSpan.FromSeconds(60);

    private string DataDirectory => Instance.Combine("data");

    private string Socket => Instance.Combine("mysqld.sock");

    // Its own tmpdir per instance: instances bootstrapping at once in a shared /tmp clash on
    // internal temporary-table names and mariadb-install-db fails.
    private string TempDirectory => Instance.Combine("tmp");

    // Root authenticates over the socket only; everything the tests see goes through the app user.
    private string RootConnectionString =>
        $"Server={Socket};Protocol=Unix;User ID=root;Pooling=false;Connection Timeout=5";

    public static Task<MariaDbServer> StartAsync(string bufferPoolSize = "256M", CancellationToken ct = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(bufferPoolSize);
        return BootOrDisposeAsync(new MariaDbServer(InstanceDirectory.Create("mariadb"), FreePort.Next(), bufferPoolSize), async (server, token) =>
        {
            await server.InstallAsync(token).ConfigureAwait(false);
            await server.LaunchAsync(token).ConfigureAwait(false);
            await server.ExecuteAsRootAsync(
                $"CREATE USER '{AppUser}'@'%' IDENTIFIED BY '{server._password}'; " +
                $"GRANT ALL PRIVILEGES ON *.* TO '{AppUser}'@'%' WITH GRANT OPTION;",
                token).ConfigureAwait(false);
        }, ct);
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

        var (exitCode, output) = await CommandLine.RunAsync(installer, arguments, StartTimeout, workingDirectory: Instance.FullPath, ct: ct)
            .ConfigureAwait(false);
        if (exitCode != 0)
        {
            throw new InvalidOperationException($"{installer} failed with exit code {exitCode}:\n{output}");
        }
    }

    private protected override ServerProcess StartProcess()
    {
        var arguments = new List<string>
        {
            "--no-defaults",
            $"--datadir={DataDirectory}",
            $"--tmpdir={TempDirectory}",
            $"--port={Port}",
            $"--socket={Socket}",
            $"--pid-file={Instance.Combine("mysqld.pid")}",
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

        var server = Executables.Find("mariadb-server", "mariadbd", "mysqld");
        return ServerProcess.Start(server, arguments, Instance, LogFile);
    }

    private protected override async Task<string?> NotReadyAsync(CancellationToken ct)
    {
        try
        {
            await using var connection = new MySqlConnection(RootConnectionString);
            await connection.OpenAsync(ct).ConfigureAwait(false);
            return null;
        }
        catch (MySqlException exception)
        {
            return exception.Message;
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
