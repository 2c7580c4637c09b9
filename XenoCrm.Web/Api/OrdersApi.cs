using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using XenoCrm.Core.Data;
using XenoCrm.Core.Ingestion;
using XenoCrm.Core.Orders;
using XenoCrm.ServiceDefaults.Messaging;

namespace XenoCrm.Web.Api;

/// <summary>Orders: ingest them (<see cref="OrderRequest"/> is the body), and read them.</summary>
public static class OrdersApi
{
    public sealed record OrderResponse(long Id, string ExternalId, long CustomerId, decimal Amount, DateTime OrderedAt, DateTime CreatedAt);

    public static RouteGroupBuilder MapOrdersApi(this RouteGroupBuilder api)
    {
        var group = api.MapGroup("/orders").WithTags("Orders");

        group.MapPost("/", IngestAsync)
            .WithName("IngestOrders")
            .WithSummary("Accept one order, or {\"items\": [...]} with up to 1,000; each is stored once and added to its customer's aggregates.");
        group.MapGet("/", ListAsync)
            .WithName("ListOrders")
            .WithSummary("Orders by id, optionally for one customer or one externalId.");
        group.MapGet("/{id:long}", GetAsync)
            .WithName("GetOrder")
            .WithSummary("One order.");

        return group;
    }

    private static Task<Results<Accepted<IngestionRequest.AcceptedRecords>, ValidationProblem, ProblemHttpResult>> IngestAsync(
        HttpContext http, IMessagePublisher publisher, TimeProvider clock, ILoggerFactory logs) =>
        IngestionRequest.AcceptAsync<OrderRequest, OrderRecord, OrdersReceived>(http,
            (sent, path, errors) => IngestionValidation.Order(sent, path, errors, clock.GetUtcNow().UtcDateTime),
            (requestId, records) => new OrdersReceived(requestId, records), Topics.Orders, publisher, logs.CreateLogger(nameof(OrdersApi)));

    private static async Task<Results<Ok<Paged<OrderResponse>>, ValidationProblem>> ListAsync(
        CrmDbContext db, long? customerId, string? externalId, int page = 1, int pageSize = Paged.DefaultPageSize, CancellationToken ct = default)
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
    }

    private static async Task<Results<Ok<OrderResponse>, ProblemHttpResult>> GetAsync(CrmDbContext db, long id, CancellationToken ct) =>
        await db.Orders.AsNoTracking().Where(o => o.Id == id).Select(ToResponse).SingleOrDefaultAsync(ct) is { } order
            ? TypedResults.Ok(order)
            : TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, title: $"No order has id {id}.");

    private static readonly System.Linq.Expressions.Expression<Func<Order, OrderResponse>> ToResponse =
        o => new OrderResponse(o.Id, o.ExternalId, o.CustomerId, o.Amount, o.OrderedAt, o.CreatedAt);
}
