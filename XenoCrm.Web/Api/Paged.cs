using System.Globalization;
using Microsoft.AspNetCore.Http.HttpResults;
using XenoCrm.Web.Pages;

namespace XenoCrm.Web.Api;

/// <param name="Total">Rows in the list, counted up to <see cref="Paging.MaxRows"/>.</param>
/// <param name="MoreThanTotal">The list holds more than <paramref name="Total"/> rows; only those can be paged to (narrow the filter for others).</param>
public sealed record Paged<T>(IReadOnlyList<T> Items, int Page, int PageSize, int Total, bool MoreThanTotal);

/// <summary>The API's lists, paged by the pages' rule (<see cref="Paging"/>): the first 10,000 rows, counted up to there.</summary>
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
        else if (page >= 1 && !Paging.IsReachable(page, pageSize))
        {
            errors["page"] = [$"Lists reach their first {Paging.MaxRows.ToString("N0", CultureInfo.InvariantCulture)} rows; narrow the filter to see others."];
        }
        return errors.Count > 0 ? TypedResults.ValidationProblem(errors) : null;
    }

    /// <param name="ordered">The list's rows, ordered by a unique key.</param>
    public static async Task<Paged<T>> ReadAsync<T>(IQueryable<T> ordered, int page, int pageSize, CancellationToken ct)
    {
        var read = await Paging.ReadExactAsync(ordered, page, pageSize, ct);
        return new(read.Rows, read.Page, read.Size, read.Total, read.MoreThanTotal);
    }
}
