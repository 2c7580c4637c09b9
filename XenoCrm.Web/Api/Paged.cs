using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;

namespace XenoCrm.Web.Api;

public sealed record Paged<T>(IReadOnlyList<T> Items, int Page, int PageSize, int Total);

public static class Paged
{
    public const int DefaultPageSize = 50;
    public const int MaxPageSize = 500;

    public static ValidationProblem? Validate(int page, int pageSize)
    {
        var errors = new Dictionary<string, string[]>();
        if (page < 1)
        {
            errors["page"] = ["Must be 1 or more."];
        }
        if (pageSize is < 1 or > MaxPageSize)
        {
            errors["pageSize"] = [$"Must be between 1 and {MaxPageSize}."];
        }
        return errors.Count > 0 ? TypedResults.ValidationProblem(errors) : null;
    }

    public static async Task<Paged<T>> ReadAsync<T>(IQueryable<T> query, int page, int pageSize, CancellationToken ct) =>
        new(await query.Skip((page - 1) * pageSize).Take(pageSize).ToListAsync(ct), page, pageSize, await query.CountAsync(ct));
}
