using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using MySqlConnector;
using RabbitMQ.Client;
using RabbitMQ.Client.Exceptions;
using XenoCrm.TestServers;

namespace XenoCrm.IntegrationTests.TestServers;

public sealed class MariaDbServerTests
{
    [Fact]
    public async Task CreateDatabaseAsync_ReturnsAppUserConnectionString_OnLoopbackPort()
    {
        await using var server = await MariaDbServer.StartAsync();

        var connectionString = await server.CreateDatabaseAsync();

        var settings = new MySqlConnectionStringBuilder(connectionString);
        Assert.Equal(("127.0.0.1", server.Port, "xeno"), (settings.Server, (int)settings.Port, settings.UserID));
        Assert.NotEmpty(settings.Password);
        await using var connection = new MySqlConnection(connectionString);
        await connection.OpenAsync();
        Assert.Equal("xeno@%", await ScalarAsync<string>(connection, "SELECT CURRENT_USER()"));
        Assert.Equal(settings.Database, await ScalarAsync<string>(connection, "SELECT DATABASE()"));
        Assert.Equal("utf8mb4", await ScalarAsync<string>(connection, "SELECT @@character_set_database"));
    }

    [Fact]
    public async Task ConnectionString_AllowsBulkCopy_ThroughLocalInfile()
    {
        await using var server = await MariaDbServer.StartAsync();
        await using var connection = new MySqlConnection(await server.CreateDatabaseAsync("bulk_copy"));
        await connection.OpenAsync();
        await ExecuteAsync(connection, "CREATE TABLE numbers (n INT PRIMARY KEY)");
        using var table = new System.Data.DataTable();
        table.Columns.Add("n", typeof(int));
        for (var n = 0; n < 5_000; n++)
        {
            table.Rows.Add(n);
        }

        var result = await new MySqlBulkCopy(connection) { DestinationTableName = "numbers" }.WriteToServerAsync(table);

        Assert.Equal(5_000, result.RowsInserted);
        Assert.Equal(5_000L, await ScalarAsync<long>(connection, "SELECT COUNT(*) FROM numbers"));
    }

    [Fact]
    public async Task StartAgainAsync_KeepsCommittedRows_AfterKill()
    {
        await using var server = await MariaDbServer.StartAsync();
        var connectionString = await server.CreateDatabaseAsync();
        await using (var connection = new MySqlConnection(connectionString))
        {
            await connection.OpenAsync();
            await ExecuteAsync(connection, "CREATE TABLE events (id INT AUTO_INCREMENT PRIMARY KEY, payload VARCHAR(100)) ENGINE=InnoDB");
            for (var batch = 0; batch < 10; batch++)
            {
                await ExecuteAsync(connection, "INSERT INTO events (payload) SELECT CONCAT('event ', seq) FROM seq_1_to_100");
            }
        }

        var port = server.Port;
        await server.KillAsync();
        await Assert.ThrowsAsync<MySqlException>(() => OpenAsync(connectionString));
        await server.StartAgainAsync();

        Assert.Equal(port, server.Port);
        await using var reopened = await OpenAsync(connectionString);
        Assert.Equal(1_000L, await ScalarAsync<long>(reopened, "SELECT COUNT(*) FROM events"));
    }

    [Fact]
    public async Task StartAgainAsync_KeepsDatabasesAndUser_AfterCleanStop()
    {
        await using var server = await MariaDbServer.StartAsync(bufferPoolSize: "64M");
        var connectionString = await server.CreateDatabaseAsync();
        await using (var connection = await OpenAsync(connectionString))
        {
            await ExecuteAsync(connection, "CREATE TABLE notes (body TEXT)");
            await ExecuteAsync(connection, "INSERT INTO notes VALUES ('kept across a clean stop: ✓')");
        }

        await server.StopAsync();
        await Assert.ThrowsAsync<MySqlException>(() => OpenAsync(connectionString));
        await server.StartAgainAsync();

        await using var reopened = await OpenAsync(connectionString);
        Assert.Equal("kept across a clean stop: ✓", await ScalarAsync<string>(reopened, "SELECT body FROM notes"));
        Assert.Equal(64L * 1024 * 1024, await ScalarAsync<long>(reopened, "SELECT @@innodb_buffer_pool_size"));
    }

    [Fact]
    public async Task StartAsync_RunsIndependentInstances_InParallel()
    {
        var servers = await Task.WhenAll(MariaDbServer.StartAsync(), MariaDbServer.StartAsync());
        await using var first = servers[0];
        await using var second = servers[1];

        await using var inFirst = await OpenAsync(await first.CreateDatabaseAsync("shared_name"));
        await using var inSecond = await OpenAsync(await second.CreateDatabaseAsync("shared_name"));
        await ExecuteAsync(inFirst, "CREATE TABLE only_in_first (id INT)");

        Assert.NotEqual(first.Port, second.Port);
        Assert.Equal(0L, await ScalarAsync<long>(inSecond,
            "SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = 'shared_name' AND table_name = 'only_in_first'"));
    }

    private static async Task<MySqlConnection> OpenAsync(string connectionString)
    {
        // Pooling off: a pooled connection would hide whether the server is really reachable right now.
        var connection = new MySqlConnection(connectionString + ";Pooling=false");
        try
        {
            await connection.OpenAsync();
            return connection;
        }
        catch
        {
            await connection.DisposeAsync();
            throw;
        }
    }

    private static async Task ExecuteAsync(MySqlConnection connection, string sql)
    {
        await using var command = new MySqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }

    private static async Task<T> ScalarAsync<T>(MySqlConnection connection, string sql)
    {
        await using var command = new MySqlCommand(sql, connection);
        return (T)Convert.ChangeType((await command.ExecuteScalarAsync())!, typeof(T), CultureInfo.InvariantCulture);
    }
}

public sealed class RabbitMqServerTests
{
    [Fact]
    public async Task CreateVirtualHostAsync_ReturnsUriThatPublishesAndConsumes()
    {
        await using var server = await RabbitMqServer.StartAsync();

        var uri = await server.CreateVirtualHostAsync("orders/eu");

        Assert.StartsWith("amqp://xeno:", uri, StringComparison.Ordinal);
        Assert.EndsWith($"@127.0.0.1:{server.Port}/orders%2Feu", uri, StringComparison.Ordinal);
        var factory = new ConnectionFactory { Uri = new Uri(uri) };
        Assert.Equal("orders/eu", factory.VirtualHost);
        await using var connection = await factory.CreateConnectionAsync();
        await using var channel = await connection.CreateChannelAsync();
        var queue = await channel.QueueDeclareAsync(queue: "", durable: false, exclusive: true, autoDelete: true);
        await channel.BasicPublishAsync("", queue.QueueName, Encoding.UTF8.GetBytes("hello"));
        var delivered = await GetAsync(channel, queue.QueueName);
        Assert.Equal("hello", delivered);
    }

    [Fact]
    public async Task StartAgainAsync_KeepsDurableQueuesAndPersistentMessages_AfterStop()
    {
        await using var server = await RabbitMqServer.StartAsync();
        var factory = new ConnectionFactory { Uri = new Uri(await server.CreateVirtualHostAsync()) };
        await using (var connection = await factory.CreateConnectionAsync())
        {
            await using var channel = await connection.CreateChannelAsync(
                new CreateChannelOptions(publisherConfirmationsEnabled: true, publisherConfirmationTrackingEnabled: true));
            await channel.QueueDeclareAsync("survivors", durable: true, exclusive: false, autoDelete: false);
            await channel.BasicPublishAsync("", "survivors", mandatory: true, new BasicProperties { Persistent = true }, Encoding.UTF8.GetBytes("still here"));
        }

        await server.StopAsync();
        await Assert.ThrowsAsync<BrokerUnreachableException>(() => factory.CreateConnectionAsync());
        await server.StartAgainAsync();

        await using var reconnected = await factory.CreateConnectionAsync();
        await using var reopened = await reconnected.CreateChannelAsync();
        Assert.Equal("still here", await GetAsync(reopened, "survivors"));
    }

    private static async Task<string?> GetAsync(IChannel channel, string queue)
    {
        var stopwatch = Stopwatch.StartNew();
        while (stopwatch.Elapsed < TimeSpan.FromSeconds(10))
        {
            if (await channel.BasicGetAsync(queue, autoAck: true) is { } result)
            {
                return Encoding.UTF8.GetString(result.Body.Span);
            }

            await Task.Delay(50);
        }

        return null;
    }
}

public sealed class RedisServerTests
{
    [Fact]
    public async Task StartAsync_AnswersCommands_AtConnectionString()
    {
        await using var server = await RedisServer.StartAsync();

        Assert.Equal($"127.0.0.1:{server.Port}", server.ConnectionString);
        Assert.Equal("+OK", await SendAsync(server.Port, "SET greeting hello"));
        Assert.Equal("$5\r\nhello", await SendAsync(server.Port, "GET greeting"));
    }

    [Fact]
    public async Task DisposeAsync_StopsTheServer()
    {
        var server = await RedisServer.StartAsync();
        var port = server.Port;

        await server.DisposeAsync();

        await Assert.ThrowsAsync<SocketException>(() => SendAsync(port, "PING"));
    }

    private static async Task<string> SendAsync(int port, string command)
    {
        using var client = new TcpClient();
        await client.ConnectAsync(IPAddress.Loopback, port);
        var stream = client.GetStream();
        await stream.WriteAsync(Encoding.ASCII.GetBytes(command + "\r\n"));
        var buffer = new byte[256];
        var length = await stream.ReadAsync(buffer);
        return Encoding.ASCII.GetString(buffer, 0, length).TrimEnd();
    }
}

public sealed class AppProcessTests
{
    private static readonly Dictionary<string, string?> _noEnvironment = [];

    [Fact]
    public async Task WaitForExitAsync_ReturnsExitCode_WithBothStreamsCaptured()
    {
        await using var process = AppProcess.StartCommand("/bin/sh", ["-c", "echo to-stdout; echo to-stderr >&2; exit 3"], _noEnvironment, "sh");

        Assert.Equal(3, await process.WaitForExitAsync(TimeSpan.FromSeconds(10)));
        Assert.Contains("to-stdout", process.Output, StringComparison.Ordinal);
        Assert.Contains("to-stderr", process.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task StartCommand_SetsGivenVariables_AndRemovesNullOnes()
    {
        var environment = new Dictionary<string, string?> { ["ASPNETCORE_ENVIRONMENT"] = "Testing", ["HOME"] = null };
        await using var process = AppProcess.StartCommand(
            "/bin/sh", ["-c", "echo \"env=$ASPNETCORE_ENVIRONMENT home=${HOME-unset} path=${PATH:+inherited}\""], environment, "sh");

        await process.WaitForExitAsync(TimeSpan.FromSeconds(10));

        Assert.Contains("env=Testing home=unset path=inherited", process.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Kill_KillsTheWholeTree()
    {
        await using var process = AppProcess.StartCommand("/bin/sh", ["-c", "sleep 300 & echo child=$!; wait"], _noEnvironment, "sh");
        var stopwatch = Stopwatch.StartNew();
        while (!process.Output.Contains("child=", StringComparison.Ordinal) && stopwatch.Elapsed < TimeSpan.FromSeconds(10))
        {
            await Task.Delay(20);
        }

        var child = int.Parse(process.Output.Split("child=")[1].Trim(), CultureInfo.InvariantCulture);
        Assert.True(process.PeakRssBytes() > 0);

        process.Kill();

        Assert.Equal(137, await process.WaitForExitAsync(TimeSpan.FromSeconds(10)));
        Assert.True(await IsGoneAsync(child), $"child {child} of the killed shell is still running");
        Assert.True(process.PeakRssBytes() > 0);
    }

    [Fact]
    public async Task WaitForHttpOkAsync_Returns_OnceUrlAnswers200()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var url = $"http://127.0.0.1:{((IPEndPoint)listener.LocalEndpoint).Port}/health";
        var answers = AnswerAsync(listener, "503 Service Unavailable", "503 Service Unavailable", "200 OK");
        await using var process = AppProcess.StartCommand("/bin/sh", ["-c", "sleep 60"], _noEnvironment, "sh");

        await process.WaitForHttpOkAsync(url, TimeSpan.FromSeconds(20));

        Assert.Equal(3, await answers);
    }

    [Fact]
    public async Task WaitForHttpOkAsync_ThrowsWithOutput_WhenProcessExits()
    {
        await using var process = AppProcess.StartCommand("/bin/sh", ["-c", "echo 'Unhandled exception: boom'; exit 1"], _noEnvironment, "sh");

        var exception = await Assert.ThrowsAsync<InvalidOperationException>(
            () => process.WaitForHttpOkAsync($"http://127.0.0.1:{FreePort.Next()}/health", TimeSpan.FromSeconds(20)));

        Assert.Contains("Unhandled exception: boom", exception.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Start_ThrowsFileNotFound_WhenProjectIsNotBuilt()
    {
        var exception = Assert.Throws<FileNotFoundException>(() => AppProcess.Start("XenoCrm.NoSuchProject", _noEnvironment));

        Assert.Equal(
            Path.Combine(RepoPaths.Root, "XenoCrm.NoSuchProject", "bin", RepoPaths.Configuration, "net10.0", "XenoCrm.NoSuchProject.dll"),
            exception.FileName);
    }

    [Fact]
    public void RepoPaths_PointAtTheSolution_AndThisBuildsConfiguration()
    {
        Assert.True(File.Exists(Path.Combine(RepoPaths.Root, "XenoCrm.sln")));
        Assert.StartsWith(Path.Combine(RepoPaths.Root, "tests"), AppContext.BaseDirectory, StringComparison.Ordinal);
        Assert.Contains($"{Path.DirectorySeparatorChar}bin{Path.DirectorySeparatorChar}{RepoPaths.Configuration}{Path.DirectorySeparatorChar}", AppContext.BaseDirectory, StringComparison.Ordinal);
    }

    [Fact]
    public void FreePort_Next_ReturnsDistinctBindablePorts()
    {
        var ports = Enumerable.Range(0, 20).Select(_ => FreePort.Next()).ToList();

        Assert.Equal(ports.Count, ports.Distinct().Count());
        foreach (var port in ports)
        {
            using var listener = new TcpListener(IPAddress.Loopback, port);
            listener.Start();
        }
    }

    private static async Task<int> AnswerAsync(TcpListener listener, params string[] statuses)
    {
        foreach (var status in statuses)
        {
            using var client = await listener.AcceptTcpClientAsync();
            var stream = client.GetStream();
            using var request = new StreamReader(stream, Encoding.ASCII, leaveOpen: true);
            while (!string.IsNullOrEmpty(await request.ReadLineAsync()))
            {
            }

            await stream.WriteAsync(Encoding.ASCII.GetBytes($"HTTP/1.1 {status}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"));
        }

        return statuses.Length;
    }

    private static async Task<bool> IsGoneAsync(int pid)
    {
        var stopwatch = Stopwatch.StartNew();
        while (stopwatch.Elapsed < TimeSpan.FromSeconds(5))
        {
            // A killed child whose parent died may linger as a zombie until init reaps it: that is not running either.
            var stat = $"/proc/{pid}/stat";
            if (!File.Exists(stat) || File.ReadAllText(stat).Split(") ")[1].StartsWith('Z'))
            {
                return true;
            }

            await Task.Delay(50);
        }

        return false;
    }
}
