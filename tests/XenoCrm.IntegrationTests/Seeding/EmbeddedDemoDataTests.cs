using System.Globalization;
using Microsoft.Data.Sqlite;
using XenoCrm.TestServers;

namespace XenoCrm.IntegrationTests.Seeding;

/// <summary>The embedded mode's first start on an empty database: a living CRM, seeded once.</summary>
public sealed class EmbeddedDemoDataTests : IAsyncLifetime
{
    private readonly string _folder = Path.Combine(Path.GetTempPath(), "xenocrm-demo-" + Guid.NewGuid().ToString("N"));
    private static readonly Dictionary<string, string?> _noConfiguration = new()
    {
        ["ConnectionStrings__Crm"] = null,
        ["ConnectionStrings__RabbitMq"] = null,
        ["ConnectionStrings__Redis"] = null,
        ["Delivery__BaseUrl"] = null,
    };

    public Task InitializeAsync()
    {
        Directory.CreateDirectory(_folder);
        return Task.CompletedTask;
    }

    public Task DisposeAsync()
    {
        SqliteConnection.ClearAllPools();
        Directory.Delete(_folder, recursive: true);
        return Task.CompletedTask;
    }

    [Fact]
    public async Task FirstStart_SeedsDemoCustomersOnce_WhenTheEmbeddedDatabaseIsEmpty()
    {
        var firstOutput = await StartAndStopAsync();
        Assert.Contains("Seeded 2,000 demo customers", firstOutput, StringComparison.Ordinal);
        Assert.Contains("because the database was empty", firstOutput, StringComparison.Ordinal);
        Assert.Equal(2_000, Scalar("SELECT COUNT(*) FROM customers"));
        Assert.Equal(2_000, Scalar("SELECT COUNT(*) FROM customers WHERE email LIKE '%@demo.xenocrm.example'"));
        var orders = Scalar("SELECT COUNT(*) FROM orders");
        Assert.True(orders > 2_000, $"Only {orders} demo orders.");
        Assert.Equal(orders, Scalar("SELECT SUM(order_count) FROM customers"));
        Assert.True(Scalar("SELECT COUNT(*) FROM customers WHERE order_count = 0") > 0, "Every demo customer has orders.");

        var secondOutput = await StartAndStopAsync();

        Assert.DoesNotContain("demo customers", secondOutput, StringComparison.Ordinal);
        Assert.Equal(2_000, Scalar("SELECT COUNT(*) FROM customers"));
        Assert.Equal(orders, Scalar("SELECT COUNT(*) FROM orders"));
    }

    private async Task<string> StartAndStopAsync()
    {
        var port = FreePort.Next();
        await using var web = AppProcess.StartIn(_folder, "XenoCrm.Web", _noConfiguration, "--urls", $"http://127.0.0.1:{port}");
        await web.WaitForHttpOkAsync($"http://127.0.0.1:{port}/health/live", TimeSpan.FromSeconds(60));
        return web.Output;
    }

    private long Scalar(string sql)
    {
        using var connection = new SqliteConnection($"Data Source={Path.Combine(_folder, "xenocrm.db")};Mode=ReadOnly;Pooling=False");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        return Convert.ToInt64(command.ExecuteScalar(), CultureInfo.InvariantCulture);
    }
}
