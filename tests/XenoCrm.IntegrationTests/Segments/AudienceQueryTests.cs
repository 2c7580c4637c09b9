using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using MySqlConnector;
using XenoCrm.Core.Data;
using XenoCrm.Core.Segments;
using XenoCrm.IntegrationTests.Infrastructure;

namespace XenoCrm.IntegrationTests.Segments;

[Collection(SharedServersDefinition.Name)]
public sealed class AudienceQueryTests(SharedServers servers)
{
    [Theory]
    [InlineData("""{"op":"and","rules":[{"field":"total_spend","operator":"gt","value":500}]}""")]
    [InlineData("""{"op":"or","rules":[{"field":"city","operator":"equals","value":"Pune"},{"op":"and","not":true,"rules":[{"field":"order_count","operator":"lt","value":3}]}]}""")]
    [InlineData("""{"op":"and","rules":[{"field":"email","operator":"ends_with","value":"7@shop.test"}]}""")]
    public async Task CountAsync_CountsEverySliceOnce_WhenSplitOverParallelConnections(string rules)
    {
        var crm = await servers.MariaDb.CreateDatabaseAsync();
        // Ids spread over half a million, so that the count is split into slices of the id range.
        await using (var connection = new MySqlConnection(crm))
        {
            await using var provider = Services(crm, parallelism: 1);
            await provider.MigrateCrmDatabaseAsync();
            await connection.OpenAsync();
            var values = string.Join(",\n", Enumerable.Range(0, 2_000).Select(i =>
                $"({(i * 250) + 1}, 'c{i}@shop.test', 'Customer {i}', '{(i % 5 == 0 ? "Pune" : "Delhi")}', {i % 1000}, {i % 7}, UTC_TIMESTAMP(), UTC_TIMESTAMP())"));
            await using var insert = new MySqlCommand(
                $"INSERT INTO customers (id, email, name, city, total_spend, order_count, created_at, updated_at) VALUES {values}", connection);
            await insert.ExecuteNonQueryAsync();
        }
        using var document = JsonDocument.Parse(rules);
        var tree = SegmentRulesParser.Parse(document.RootElement).Tree!;

        var counts = new List<int>();
        foreach (var parallelism in new[] { 1, 2, 3, 7 })
        {
            await using var provider = Services(crm, parallelism);
            await using var scope = provider.CreateAsyncScope();
            counts.Add(await scope.ServiceProvider.GetRequiredService<AudienceQuery>().CountAsync(tree, CancellationToken.None));
        }

        Assert.True(counts[0] > 0, "The tree selects nobody; the comparison proves nothing.");
        Assert.All(counts, count => Assert.Equal(counts[0], count));
    }

    private static ServiceProvider Services(string crm, int parallelism)
    {
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        builder.Configuration["ConnectionStrings:Crm"] = crm;
        builder.Configuration["Segments:PreviewParallelism"] = parallelism.ToString(System.Globalization.CultureInfo.InvariantCulture);
        builder.AddCrmDatabase();
        builder.Services.AddLogging();
        return builder.Services.BuildServiceProvider();
    }
}
