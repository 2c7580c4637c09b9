using System.Globalization;
using MySqlConnector;
using XenoCrm.IntegrationTests.Infrastructure;
using XenoCrm.TestServers;

namespace XenoCrm.IntegrationTests.Seeding;

/// <summary>The real <c>seed</c> command, run as an operator runs it, against a fresh MariaDB database.</summary>
[Collection(SharedServersDefinition.Name)]
public sealed class SeedCommandTests(SharedServers servers)
{
    private static readonly TimeSpan _timeout = TimeSpan.FromMinutes(3);

    [Fact]
    public async Task Seed_StoresExactCountsWithMatchingAggregatesAndUniqueEmails_For20kCustomersAnd100kOrders()
    {
        var crm = await servers.MariaDb.CreateDatabaseAsync();

        var (exitCode, _, stdErr) = await SeedAsync(crm, "--customers", "20000", "--orders", "100000", "--seed", "7");

        Assert.True(exitCode == 0, stdErr);
        Assert.Contains("rows/s", stdErr, StringComparison.Ordinal);
        Assert.Equal(20_000, await ScalarAsync(crm, "SELECT COUNT(*) FROM customers"));
        Assert.Equal(100_000, await ScalarAsync(crm, "SELECT COUNT(*) FROM orders"));
        Assert.Equal(0, await ScalarAsync(crm, WrongAggregates));
        Assert.Equal(20_000, await ScalarAsync(crm, "SELECT COUNT(DISTINCT email) FROM customers"));
        Assert.Equal(100_000, await ScalarAsync(crm, "SELECT SUM(order_count) FROM customers"));
        // Segments on spend, order count and last order need variety: customers who never ordered and a long tail of big spenders.
        var withoutOrders = await ScalarAsync(crm, "SELECT COUNT(*) FROM customers WHERE order_count = 0");
        Assert.InRange(withoutOrders, 1_000, 8_000);
        var averageSpend = await ScalarAsync(crm, "SELECT ROUND(AVG(total_spend)) FROM customers WHERE order_count > 0");
        Assert.True(await ScalarAsync(crm, "SELECT MAX(total_spend) FROM customers") > 20 * averageSpend, "No long tail of big spenders.");
        Assert.True(await ScalarAsync(crm, "SELECT COUNT(*) FROM customers WHERE country = 'India'") > 10_000);
        Assert.True(await ScalarAsync(crm, "SELECT COUNT(*) FROM customers WHERE signed_up_at < NOW() - INTERVAL 2 YEAR") > 2_000);
        Assert.True(await ScalarAsync(crm, "SELECT COUNT(*) FROM customers WHERE last_order_at > NOW() - INTERVAL 90 DAY") > 2_000);
        Assert.True(await ScalarAsync(crm, "SELECT COUNT(*) FROM customers WHERE last_order_at < NOW() - INTERVAL 1 YEAR") > 1_000);
    }

    [Fact]
    public async Task Seed_GivesTheSameCustomersAndOrders_WhenRunTwiceWithTheSameSeed()
    {
        var first = await servers.MariaDb.CreateDatabaseAsync();
        var second = await servers.MariaDb.CreateDatabaseAsync();

        Assert.Equal(0, (await SeedAsync(first, "--customers", "1000", "--orders", "4000", "--seed", "11")).ExitCode);
        Assert.Equal(0, (await SeedAsync(second, "--customers", "1000", "--orders", "4000", "--seed", "11")).ExitCode);

        const string Fingerprint = "SELECT SUM(CRC32(CONCAT_WS('|', id, email, name, city, country, order_count, total_spend))) FROM customers";
        Assert.Equal(await ScalarAsync(first, Fingerprint), await ScalarAsync(second, Fingerprint));
        Assert.Equal(await ScalarAsync(first, "SELECT SUM(amount * 100) FROM orders"), await ScalarAsync(second, "SELECT SUM(amount * 100) FROM orders"));
    }

    [Fact]
    public async Task Seed_RefusesAndChangesNothing_WhenTheDatabaseHasCustomersAndNoAppend()
    {
        var crm = await servers.MariaDb.CreateDatabaseAsync();
        Assert.Equal(0, (await SeedAsync(crm, "--customers", "500", "--orders", "2000")).ExitCode);

        var (exitCode, _, stdErr) = await SeedAsync(crm, "--customers", "500", "--orders", "2000");

        Assert.NotEqual(0, exitCode);
        Assert.Contains("already has 500 customers", stdErr, StringComparison.Ordinal);
        Assert.Contains("--append", stdErr, StringComparison.Ordinal);
        Assert.Equal(500, await ScalarAsync(crm, "SELECT COUNT(*) FROM customers"));
        Assert.Equal(2_000, await ScalarAsync(crm, "SELECT COUNT(*) FROM orders"));
    }

    [Fact]
    public async Task Seed_AddsCustomersWithNewIdsAndEmails_WhenAppendIsGiven()
    {
        var crm = await servers.MariaDb.CreateDatabaseAsync();
        Assert.Equal(0, (await SeedAsync(crm, "--customers", "500", "--orders", "2000", "--seed", "3")).ExitCode);

        // The same seed again: the generated names repeat, the external ids and emails must not.
        var (exitCode, _, stdErr) = await SeedAsync(crm, "--customers", "500", "--orders", "2000", "--seed", "3", "--append");

        Assert.True(exitCode == 0, stdErr);
        Assert.Equal(1_000, await ScalarAsync(crm, "SELECT COUNT(*) FROM customers"));
        Assert.Equal(1_000, await ScalarAsync(crm, "SELECT COUNT(DISTINCT email) FROM customers"));
        Assert.Equal(4_000, await ScalarAsync(crm, "SELECT COUNT(*) FROM orders"));
        Assert.Equal(0, await ScalarAsync(crm, WrongAggregates));
    }

    [Fact]
    public async Task Seed_ExitsWithUsage_WhenSizesAreMissing()
    {
        var crm = await servers.MariaDb.CreateDatabaseAsync();

        var (exitCode, _, stdErr) = await SeedAsync(crm, "--orders", "10");

        Assert.Equal(2, exitCode);
        // System.CommandLine names what is missing, then prints the command's usage and options.
        Assert.Contains("Option '--customers' is required.", stdErr, StringComparison.Ordinal);
        Assert.Contains("XenoCrm.Web seed [options]", stdErr, StringComparison.Ordinal);
        Assert.Contains("--orders <orders> (REQUIRED)", stdErr, StringComparison.Ordinal);
        // A refused command line touches nothing: no customer, not even the schema (it is parsed before migrating).
        Assert.Equal(0, await ScalarAsync(crm, "SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = DATABASE()"));
    }

    [Fact]
    public async Task Seed_LeavesTheHostsOwnArguments_ToTheHost()
    {
        var crm = await servers.MariaDb.CreateDatabaseAsync();
        var environment = Environment(crm);
        environment["ConnectionStrings__Crm"] = null;

        // The connection string as a command-line setting, between the command's own options.
        var (exitCode, _, stdErr) = await AppProcess.RunToEndAsync("XenoCrm.Web", environment, _timeout,
            "seed", "--customers", "300", "--ConnectionStrings:Crm", Environment(crm)["ConnectionStrings__Crm"]!, "--orders", "900", "--append");

        Assert.True(exitCode == 0, stdErr);
        Assert.Contains("into the MySql database", stdErr, StringComparison.Ordinal);
        Assert.Equal(300, await ScalarAsync(crm, "SELECT COUNT(*) FROM customers"));
        Assert.Equal(900, await ScalarAsync(crm, "SELECT COUNT(*) FROM orders"));
    }

    private const string WrongAggregates = """
        SELECT COUNT(*) FROM customers c
        LEFT JOIN (SELECT customer_id, SUM(amount) AS spend, COUNT(*) AS n, MIN(ordered_at) AS first_at, MAX(ordered_at) AS last_at
                   FROM orders GROUP BY customer_id) a ON a.customer_id = c.id
        WHERE c.total_spend <> COALESCE(a.spend, 0) OR c.order_count <> COALESCE(a.n, 0)
           OR NOT (c.first_order_at <=> a.first_at) OR NOT (c.last_order_at <=> a.last_at)
        """;

    private static Task<(int ExitCode, string StdOut, string StdErr)> SeedAsync(string crm, params string[] args) =>
        AppProcess.RunToEndAsync("XenoCrm.Web", Environment(crm), _timeout, ["seed", .. args]);

    /// <summary>What the distributed mode's Web process is given (see <see cref="DistributedDeployment"/>), minus the broker it does not need here.</summary>
    private static Dictionary<string, string?> Environment(string crm) => new()
    {
        // The test server's connection string allows LOAD DATA LOCAL; the command must add it where it is missing.
        ["ConnectionStrings__Crm"] = crm.Replace(";AllowLoadLocalInfile=true", "", StringComparison.Ordinal),
        ["ConnectionStrings__RabbitMq"] = null,
        ["ConnectionStrings__Redis"] = null,
        ["DOTNET_ENVIRONMENT"] = "Production",
        ["ASPNETCORE_ENVIRONMENT"] = "Production",
        ["Auth__DevelopmentSignIn"] = "true",
        ["Auth__AllowedDomains__0"] = "shop.test",
        ["Auth__AdminEmails__0"] = "admin@shop.test",
    };

    private static async Task<long> ScalarAsync(string crm, string sql)
    {
        await using var connection = new MySqlConnection(crm);
        await connection.OpenAsync();
        await using var command = new MySqlCommand(sql, connection);
        return Convert.ToInt64(await command.ExecuteScalarAsync(), CultureInfo.InvariantCulture);
    }
}
