using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using XenoCrm.Core.Customers;
using XenoCrm.Core.Data;
using XenoCrm.Core.Ingestion;
using XenoCrm.ServiceDefaults.Messaging;

namespace XenoCrm.Web.Api;

/// <summary>Customers: ingest them (<see cref="CustomerRecord"/> is the body), and read them with their aggregates.</summary>
public static class CustomersApi
{
    public sealed record CustomerResponse(
        long Id, string? ExternalId, string Email, string Name, string? Phone, string? City, string? Country,
        DateTime? SignedUpAt, decimal TotalSpend, int OrderCount, DateTime? FirstOrderAt, DateTime? LastOrderAt,
        DateTime CreatedAt, DateTime UpdatedAt);

    public static RouteGroupBuilder MapCustomersApi(this RouteGroupBuilder api)
    {
        var group = api.MapGroup("/customers").WithTags("Customers");

        group.MapPost("/", IngestAsync)
            .WithName("IngestCustomers")
            .WithSummary("Accept one customer, or {\"items\": [...]} with up to 1,000; they are stored asynchronously (upserted by externalId, else email).");
        group.MapGet("/", ListAsync)
            .WithName("ListCustomers")
            .WithSummary("Customers with their aggregates, by id, optionally filtered by email or externalId.");
        group.MapGet("/{id:long}", GetAsync)
            .WithName("GetCustomer")
            .WithSummary("One customer with total spend, order count, first and last order.");

        return group;
    }

    private static Task<Results<Accepted<IngestionRequest.AcceptedRecords>, ValidationProblem, ProblemHttpResult>> IngestAsync(
        HttpContext http, IMessagePublisher publisher, ILoggerFactory logs) =>
        IngestionRequest.AcceptAsync<CustomerRecord, CustomerRecord, CustomersReceived>(http, IngestionValidation.Customer,
            (requestId, records) => new CustomersReceived(requestId, records), Topics.Customers, publisher, logs.CreateLogger(nameof(CustomersApi)));

    private static async Task<Results<Ok<Paged<CustomerResponse>>, ValidationProblem>> ListAsync(
        CrmDbContext db, string? email, string? externalId, int page = 1, int pageSize = Paged.DefaultPageSize, CancellationToken ct = default)
    {
        if (Paged.Validate(page, pageSize) is { } invalid)
        {
            return invalid;
        }
        var query = db.Customers.AsNoTracking();
        if (!string.IsNullOrWhiteSpace(email))
        {
            var normalized = email.Trim().ToLowerInvariant();
            query = query.Where(c => c.Email == normalized);
        }
        if (!string.IsNullOrWhiteSpace(externalId))
        {
            query = query.Where(c => c.ExternalId == externalId);
        }
        return TypedResults.Ok(await Paged.ReadAsync(query.OrderBy(c => c.Id).Select(ToResponse), page, pageSize, ct));
    }

    private static async Task<Results<Ok<CustomerResponse>, ProblemHttpResult>> GetAsync(CrmDbContext db, long id, CancellationToken ct) =>
        await db.Customers.AsNoTracking().Where(c => c.Id == id).Select(ToResponse).SingleOrDefaultAsync(ct) is { } customer
            ? TypedResults.Ok(customer)
            : TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, title: $"No customer has id {id}.");

    private static readonly System.Linq.Expressions.Expression<Func<Customer, CustomerResponse>> ToResponse = c => new CustomerResponse(
        c.Id, c.ExternalId, c.Email, c.Name, c.Phone, c.City, c.Country, c.SignedUpAt,
        c.TotalSpend, c.OrderCount, c.FirstOrderAt, c.LastOrderAt, c.CreatedAt, c.UpdatedAt);
}
