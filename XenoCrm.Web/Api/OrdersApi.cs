using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using XenoCrm.Core.Customers;
using XenoCrm.Core.Data;
using XenoCrm.Core.Ingestion;
using XenoCrm.Core.Orders;
using XenoCrm.ServiceDefaults.Messaging;

namespace XenoCrm.Web.Api;

public static class OrdersApi
{
    private static readonly HashSet<string> Members = ["externalId", "customerExternalId", "customerEmail", "amount", "orderedAt"];

    public sealed record OrderResponse(long Id, string ExternalId, long CustomerId, decimal Amount, DateTime OrderedAt, DateTime CreatedAt);

    public static RouteGroupBuilder MapOrdersApi(this RouteGroupBuilder api)
    {
        var group = api.MapGroup("/orders").WithTags("Orders");

        group.MapPost("/", (HttpContext http, IMessagePublisher publisher, TimeProvider clock, ILoggerFactory logs) =>
                IngestionRequest.AcceptAsync<OrderRecord, OrdersReceived>(http, r => Parse(r, clock),
                    (requestId, records) => new OrdersReceived(requestId, records), Topics.Orders, publisher, logs.CreateLogger(nameof(OrdersApi))))
            .WithName("IngestOrders")
            .WithSummary("Accept one order, or {\"items\": [...]} with up to 1,000; each is stored once and added to its customer's aggregates.");

        group.MapGet("/", async Task<Results<Ok<Paged<OrderResponse>>, ValidationProblem>> (
                CrmDbContext db, long? customerId, string? externalId, int page = 1, int pageSize = Paged.DefaultPageSize, CancellationToken ct = default) =>
            {
                if (Paged.Validate(page, pageSize) is { } invalid)
                {
                    return invalid;
                }
                var query = db.Orders.AsNoTracking();
                if (customerId is { } id)
                {
                    query = query.Where(o => o.CustomerId == id);
                }
                if (!string.IsNullOrWhiteSpace(externalId))
                {
                    query = query.Where(o => o.ExternalId == externalId);
                }
                return TypedResults.Ok(await Paged.ReadAsync(query.OrderBy(o => o.Id).Select(ToResponse), page, pageSize, ct));
            })
            .WithName("ListOrders")
            .WithSummary("Orders by id, optionally for one customer or one externalId.");

        group.MapGet("/{id:long}", async Task<Results<Ok<OrderResponse>, ProblemHttpResult>> (CrmDbContext db, long id, CancellationToken ct) =>
                await db.Orders.AsNoTracking().Where(o => o.Id == id).Select(ToResponse).SingleOrDefaultAsync(ct) is { } order
                    ? TypedResults.Ok(order)
                    : TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, title: $"No order has id {id}."))
            .WithName("GetOrder")
            .WithSummary("One order.");

        return group;
    }

    private static readonly System.Linq.Expressions.Expression<Func<Order, OrderResponse>> ToResponse =
        o => new OrderResponse(o.Id, o.ExternalId, o.CustomerId, o.Amount, o.OrderedAt, o.CreatedAt);

    private static OrderRecord? Parse(JsonRecordReader r, TimeProvider clock)
    {
        if (!r.IsObject(Members))
        {
            return null;
        }
        var externalId = r.Text("externalId", required: true, OrderConfiguration.ExternalIdMaxLength);
        var customerExternalId = r.Text("customerExternalId", required: false, CustomerConfiguration.ExternalIdMaxLength);
        var customerEmail = r.Email("customerEmail", required: false, CustomerConfiguration.EmailMaxLength);
        var amount = r.Money("amount", required: true);
        var orderedAt = r.Timestamp("orderedAt", required: false);
        if (!r.Has("customerExternalId") && !r.Has("customerEmail"))
        {
            r.Error(r.PathOf("customerExternalId"), "Give customerExternalId or customerEmail to name the order's customer.");
            return null;
        }
        return externalId is null || amount is null || customerExternalId is null && customerEmail is null
            ? null
            : new OrderRecord(externalId, customerExternalId, customerEmail, amount.Value, orderedAt ?? clock.GetUtcNow().UtcDateTime);
    }
}
