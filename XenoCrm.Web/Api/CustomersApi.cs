using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using XenoCrm.Core.Customers;
using XenoCrm.Core.Data;
using XenoCrm.Core.Ingestion;
using XenoCrm.ServiceDefaults.Messaging;

namespace XenoCrm.Web.Api;

public static class CustomersApi
{
    private static readonly HashSet<string> Members = ["externalId", "email", "name", "phone", "city", "country", "signedUpAt"];

    public sealed record CustomerResponse(
        long Id, string? ExternalId, string Email, string Name, string? Phone, string? City, string? Country,
        DateTime? SignedUpAt, decimal TotalSpend, int OrderCount, DateTime? FirstOrderAt, DateTime? LastOrderAt,
        DateTime CreatedAt, DateTime UpdatedAt);

    public static RouteGroupBuilder MapCustomersApi(this RouteGroupBuilder api)
    {
        var group = api.MapGroup("/customers").WithTags("Customers");

        group.MapPost("/", (HttpContext http, IMessagePublisher publisher, ILoggerFactory logs) =>
                IngestionRequest.AcceptAsync<CustomerRecord, CustomersReceived>(http, Parse,
                    (requestId, records) => new CustomersReceived(requestId, records), Topics.Customers, publisher, logs.CreateLogger(nameof(CustomersApi))))
            .WithName("IngestCustomers")
            .WithSummary("Accept one customer, or {\"items\": [...]} with up to 1,000; they are stored asynchronously (upserted by externalId, else email).");

        group.MapGet("/", async Task<Results<Ok<Paged<CustomerResponse>>, ValidationProblem>> (
                CrmDbContext db, string? email, string? externalId, int page = 1, int pageSize = Paged.DefaultPageSize, CancellationToken ct = default) =>
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
            })
            .WithName("ListCustomers")
            .WithSummary("Customers with their aggregates, by id, optionally filtered by email or externalId.");

        group.MapGet("/{id:long}", async Task<Results<Ok<CustomerResponse>, ProblemHttpResult>> (CrmDbContext db, long id, CancellationToken ct) =>
                await db.Customers.AsNoTracking().Where(c => c.Id == id).Select(ToResponse).SingleOrDefaultAsync(ct) is { } customer
                    ? TypedResults.Ok(customer)
                    : TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, title: $"No customer has id {id}."))
            .WithName("GetCustomer")
            .WithSummary("One customer with total spend, order count, first and last order.");

        return group;
    }

    private static readonly System.Linq.Expressions.Expression<Func<Customer, CustomerResponse>> ToResponse = c => new CustomerResponse(
        c.Id, c.ExternalId, c.Email, c.Name, c.Phone, c.City, c.Country, c.SignedUpAt,
        c.TotalSpend, c.OrderCount, c.FirstOrderAt, c.LastOrderAt, c.CreatedAt, c.UpdatedAt);

    private static CustomerRecord? Parse(JsonRecordReader r)
    {
        if (!r.IsObject(Members))
        {
            return null;
        }
        var externalId = r.Text("externalId", required: false, CustomerConfiguration.ExternalIdMaxLength);
        var email = r.Email("email", required: true, CustomerConfiguration.EmailMaxLength);
        var name = r.Text("name", required: true, CustomerConfiguration.NameMaxLength);
        var phone = r.Text("phone", required: false, CustomerConfiguration.PhoneMaxLength);
        var city = r.Text("city", required: false, CustomerConfiguration.PlaceMaxLength);
        var country = r.Text("country", required: false, CustomerConfiguration.PlaceMaxLength);
        var signedUpAt = r.Timestamp("signedUpAt", required: false);
        return email is null || name is null ? null : new CustomerRecord(externalId, email, name, phone, city, country, signedUpAt);
    }
}
