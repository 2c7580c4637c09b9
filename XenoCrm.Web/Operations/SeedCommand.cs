using System.Globalization;
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
    private const string Usage = "Usage: seed --customers N --orders M [--seed S] [--append]";

    /// <summary>The command's own options, which <see cref="OperatorCommand.Split"/> keeps from the host's.</summary>
    public static readonly string[] ValueOptions = ["--customers", "--orders", "--seed"];

    public static readonly string[] Flags = ["--append"];

    // LOAD DATA does best with large chunks; SQLite commits one transaction per chunk.
    private const int MySqlChunkCustomers = 50_000;
    private const int SqliteChunkCustomers = 2_000;

    public static async Task<int> RunAsync(string[] args, IServiceProvider services)
    {
        var options = Parse(args);
        await using var scope = services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<CrmDbContext>();
        var existing = await db.Customers.CountAsync();
        if (existing > 0 && !options.Append)
        {
            await Console.Error.WriteLineAsync(
                $"The database already has {existing:N0} customers; seed refuses to mix demo data into it. Add --append to add more demo customers anyway.");
            return 1;
        }

        var (firstCustomerId, firstOrderId) = await DemoDataLoader.NextIdsAsync(db, CancellationToken.None);
        var chunkSize = db.Provider == CrmDatabaseProvider.MySql ? MySqlChunkCustomers : SqliteChunkCustomers;
        var data = new DemoData(options.Customers, options.Orders, options.Seed, DateTime.UtcNow, chunkSize);
        await Console.Error.WriteLineAsync(
            $"Seeding {options.Customers:N0} customers and {options.Orders:N0} orders (seed {options.Seed}) into the {db.Provider} database…");
        var done = await DemoDataLoader.LoadAsync(db, data.Chunks(firstCustomerId, firstOrderId), p => Console.Error.WriteLine(
            $"  {p.Customers:N0} customers, {p.Orders:N0} orders in {p.Elapsed.TotalSeconds:0.0} s ({p.RowsPerSecond:N0} rows/s)"), CancellationToken.None);
        await Console.Error.WriteLineAsync(
            $"Seeded {done.Customers:N0} customers and {done.Orders:N0} orders in {done.Elapsed.TotalSeconds:0.0} s ({done.RowsPerSecond:N0} rows/s).");
        return 0;
    }

    private sealed record Options(int Customers, long Orders, int Seed, bool Append);

    private static Options Parse(string[] args)
    {
        int? customers = null;
        long? orders = null;
        var seed = 1;
        var append = false;
        for (var i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--customers" when i + 1 < args.Length && int.TryParse(args[i + 1], NumberStyles.None, CultureInfo.InvariantCulture, out var c):
                    customers = c;
                    i++;
                    break;
                case "--orders" when i + 1 < args.Length && long.TryParse(args[i + 1], NumberStyles.None, CultureInfo.InvariantCulture, out var o):
                    orders = o;
                    i++;
                    break;
                case "--seed" when i + 1 < args.Length && int.TryParse(args[i + 1], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var s):
                    seed = s;
                    i++;
                    break;
                case "--append":
                    append = true;
                    break;
                default:
                    throw new CommandUsageException($"Unexpected argument '{args[i]}'. {Usage}");
            }
        }
        if (customers is not > 0 || orders is null)
        {
            throw new CommandUsageException(Usage);
        }
        return new Options(customers.Value, orders.Value, seed, append);
    }
}
