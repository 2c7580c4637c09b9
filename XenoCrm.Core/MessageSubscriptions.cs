using Microsoft.Extensions.Options;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using XenoCrm.Core.Campaigns.Sending;
using XenoCrm.Core.Data;
using XenoCrm.Core.Ingestion;
using XenoCrm.Core.Messaging;
using XenoCrm.ServiceDefaults.Messaging;

namespace XenoCrm.Core;

/// <summary>Every message the Workers role consumes, with its handler and its batch settings, in one list (eShop's EventBus habit).</summary>
public static class MessageSubscriptions
{
    public static IServiceCollection AddMessageSubscriptions(this IServiceCollection services) => services
        .AddBatchSubscription<CustomersReceived, CustomersIngestionHandler>(m => m.Customers.Count, IngestionBatches)
        .AddBatchSubscription<OrdersReceived, OrdersIngestionHandler>(m => m.Orders.Count, IngestionBatches)
        .AddBatchSubscription<DeliveryReceiptsPublished, DeliveryReceiptsHandler>(m => m.Receipts.Count, IngestionBatches);

    /// <summary>
    /// The ingestion settings serve every topic. SQLite has one writer, so the embedded mode consumes each topic
    /// with one subscription: parallel ones would only wait for each other's locks.
    /// </summary>
    private static BatchConsumerSettings IngestionBatches(IServiceProvider services)
    {
        var ingestion = services.GetRequiredService<IOptions<IngestionOptions>>().Value;
        var sqlite = services.GetRequiredService<IConfiguration>().UsesSqlite();
        return new BatchConsumerSettings(ingestion.Prefetch, ingestion.BatchSize, sqlite ? 1 : ingestion.ConsumersPerQueue);
    }
}
