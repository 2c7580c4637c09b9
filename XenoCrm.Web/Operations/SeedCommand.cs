using System.CommandLine;
using Microsoft.EntityFrameworkCore;
using XenoCrm.Core.Data;
using XenoCrm.Web.Seeding;

namespace XenoCrm.Web.Operations;

/// <summary>
/// <c>seed --customers N --orders M [--seed S] [--append]</c>: bulk-loads realistic demo customers and
/// orders, for trying segments at scale. A database that already has customers is refused unless
/// <c>--append</c> is given.
/// </summary>
internal static class SeedCommand
{
    public const string Name = "seed";

    // LOAD DATA does best with large chunks; SQLite commits one transaction per chunk.
    private const int MySqlChunkCustomers = 50_000;
    private const int SqliteChunkCustomers = 2_000;

    public static Command Create(OperatorHost host)
    {
        var customers = new Option<int>("--customers") { Description = "Customers to add (at least 1).", Required = true };
        customers.Validators.Add(result =>
        {
            if (result.GetValueOrDefault<int>() < 1)
            {
                result.AddError("--customers must be at least 1.");
            }
        });
        var orders = new Option<long>("--orders") { Description = "Orders to spread over them (0 or more).", Required = true };
        orders.Validators.Add(result =>
        {
            if (result.GetValueOrDefault<long>() < 0)
            {
                result.AddError("--orders must not be negative.");
            }
        });
        var seed = new Option<int>("--seed") { Description = "The random seed: the same seed gives the same data.", DefaultValueFactory = _ => 1 };
        var append = new Option<bool>("--append") { Description = "Add to a database that already has customers." };
        var command = new Command(Name, "Bulk-loads realistic demo customers and orders, for trying segments at scale.") { customers, orders, seed, append };
        command.SetAction(async (parseResult, ct) => await RunAsync(
            await host.MigratedServicesAsync(ct),
            new Options(parseResult.GetValue(customers), parseResult.GetValue(orders), parseResult.GetValue(seed), parseResult.GetValue(append)),
            ct));
        return command;
    }

    private static async Task<int> RunAsync(IServiceProvider services, Options options, CancellationToken ct)
    {
        await using var scope = services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<CrmDbContext>();
        var existing = await db.Customers.CountAsync(ct);
        if (existing > 0 && !options.Append)
        {
            await Console.Error.WriteLineAsync(
                $"The database already has {existing:N0} customers; seed refuses to mix demo data into it. Add --append to add more demo customers anyway.");
            return 1;
        }

        var (firstCustomerId, firstOrderId) = await DemoDataLoader.NextIdsAsync(db, ct);
        var chunkSize = db.Provider == CrmDatabaseProvider.MySql ? MySqlChunkCustomers : SqliteChunkCustomers;
        var data = new DemoData(options.Customers, options.Orders, options.Seed, scope.ServiceProvider.GetRequiredService<TimeProvider>().GetUtcNow().UtcDateTime, chunkSize);
        await Console.Error.WriteLineAsync(
            $"Seeding {options.Customers:N0} customers and {options.Orders:N0} orders (seed {options.Seed}) into the {db.Provider} database…");
        var done = await DemoDataLoader.LoadAsync(db, data.Chunks(firstCustomerId, firstOrderId), p => Console.Error.WriteLine(
            $"  {p.Customers:N0} customers, {p.Orders:N0} orders in {p.Elapsed.TotalSeconds:0.0} s ({p.RowsPerSecond:N0} rows/s)"), ct);
        await Console.Error.WriteLineAsync(
            $"Seeded {done.Customers:N0} customers and {done.Orders:N0} orders in {done.Elapsed.TotalSeconds:0.0} s ({done.RowsPerSecond:N0} rows/s).");
        return 0;
    }

    private sealed record Options(int Customers, long Orders, int Seed, bool Append);
}
