using Microsoft.EntityFrameworkCore;
using XenoCrm.Core.Data;

namespace XenoCrm.Web.Seeding;

public static class DemoDataExtensions
{
    public const int EmbeddedCustomers = 2_000;
    public const int EmbeddedOrders = 9_000;

    // The same demo for every newcomer, whatever day it is tried.
    private const int EmbeddedSeed = 20_26;

    /// <summary>
    /// In the embedded mode only, fills an empty database (no customers) with demo customers and
    /// their orders, so that a newcomer's first start shows a living CRM. A database that has ever
    /// held a customer is left alone, and the distributed mode never gets demo data by itself.
    /// </summary>
    public static async Task SeedDemoDataIfEmptyAsync(this IServiceProvider services, IConfiguration configuration, CancellationToken ct = default)
    {
        if (!configuration.UsesSqlite())
        {
            return;
        }
        await using var scope = services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<CrmDbContext>();
        if (await db.Customers.AnyAsync(ct))
        {
            return;
        }
        var (firstCustomerId, firstOrderId) = await DemoDataLoader.NextIdsAsync(db, ct);
        var data = new DemoData(EmbeddedCustomers, EmbeddedOrders, EmbeddedSeed, scope.ServiceProvider.GetRequiredService<TimeProvider>().GetUtcNow().UtcDateTime);
        var loaded = await DemoDataLoader.LoadAsync(db, data.Chunks(firstCustomerId, firstOrderId), progress: null, ct);
        scope.ServiceProvider.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(DemoDataExtensions)).LogInformation(
            "Seeded {Customers:N0} demo customers and {Orders:N0} orders (emails @{Domain}) in {Seconds:0.0} s because the database was empty",
            loaded.Customers, loaded.Orders, DemoData.EmailDomain, loaded.Elapsed.TotalSeconds);
    }
}
