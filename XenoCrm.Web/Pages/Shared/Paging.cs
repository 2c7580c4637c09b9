using Microsoft.EntityFrameworkCore;

namespace XenoCrm.Web.Pages;

/// <summary>One page of a list, and where it sits in the list.</summary>
/// <param name="Total">Rows in the list, counted up to <see cref="Paging.MaxRows"/>.</param>
/// <param name="MoreThanTotal">The list holds more than <paramref name="Total"/> rows; only those can be paged to.</param>
public sealed record PageOf<T>(IReadOnlyList<T> Rows, int Page, int Size, int Total, bool MoreThanTotal)
{
    public int LastPage => Math.Max(1, (Total + Size - 1) / Size);
    public int FirstRow => Rows.Count == 0 ? 0 : (Page - 1) * Size + 1;
    public int LastRow => (Page - 1) * Size + Rows.Count;
}

/// <summary>
/// The one paging rule of every list, the pages' and the API's: offset paging with the depth capped. Pages take their number as <c>pageIndex</c> (1-based):
/// Razor Pages keeps the route value <c>page</c> for the page's own name. An offset costs a read of every row it skips, so at a
/// million rows the lists stop at the first <see cref="MaxRows"/> (as search engines do with
/// their result windows) and the page asks for a narrower search instead; counts stop there too,
/// so a list never scans a whole table just to say how many pages it has. The API pages by the same
/// rule (<c>Paged</c>), with its page and size checked instead of corrected.
/// </summary>
public static class Paging
{
    public const int MaxRows = 10_000;
    public static readonly IReadOnlyList<int> Sizes = [25, 50, 100];

    public static int SizeOrDefault(int size) => Sizes.Contains(size) ? size : Sizes[0];

    /// <param name="filtered">The rows in the list, unordered: what is counted.</param>
    /// <param name="order">Orders the rows, ending with a unique key so that pages never overlap.</param>
    /// <param name="shape">Projects one page's rows, and joins what they show; it runs after the page is cut,
    /// so that a deep page joins its own rows only, not every row it skips.</param>
    public static Task<PageOf<TRow>> ReadAsync<TSource, TRow>(
        IQueryable<TSource> filtered, Func<IQueryable<TSource>, IOrderedQueryable<TSource>> order,
        Func<IQueryable<TSource>, IQueryable<TRow>> shape, int pageIndex, int size, CancellationToken ct) =>
        ReadAsync((skip, take) => shape(order(filtered).Skip(skip).Take(take)), order(filtered), pageIndex, SizeOrDefault(size), clampToLastPage: true, ct);

    /// <param name="ordered">Rows already ordered (ending with a unique key) and shaped, such as a read model's query
    /// (<c>CampaignStatistics.Messages</c>) that the page shows as it is.</param>
    public static Task<PageOf<TRow>> ReadAsync<TRow>(IQueryable<TRow> ordered, int pageIndex, int size, CancellationToken ct) =>
        ReadAsync((skip, take) => ordered.Skip(skip).Take(take), ordered, pageIndex, SizeOrDefault(size), clampToLastPage: true, ct);

    /// <summary>
    /// The same window for the API, which takes its page and size as asked (checked by <c>Paged.Validate</c>)
    /// rather than correcting them: a page past the last is empty, not the last.
    /// </summary>
    public static Task<PageOf<TRow>> ReadExactAsync<TRow>(IQueryable<TRow> ordered, int page, int size, CancellationToken ct) =>
        ReadAsync((skip, take) => ordered.Skip(skip).Take(take), ordered, page, size, clampToLastPage: false, ct);

    /// <summary>Whether a page starts within the first <see cref="MaxRows"/> rows, the only ones a list reaches.</summary>
    public static bool IsReachable(int page, int size) => (long)(page - 1) * size < MaxRows;

    private static async Task<PageOf<TRow>> ReadAsync<TRow, TCounted>(
        Func<int, int, IQueryable<TRow>> rowsAt, IQueryable<TCounted> counted, int pageIndex, int size, bool clampToLastPage, CancellationToken ct)
    {
        List<TRow>? firstPage = null;
        if (pageIndex <= 1)
        {
            firstPage = await rowsAt(0, size).ToListAsync(ct);
            // A short first page is the whole list: no count, which would be a second scan for a rare search term.
            if (firstPage.Count < size)
            {
                return new PageOf<TRow>(firstPage, 1, size, firstPage.Count, MoreThanTotal: false);
            }
        }
        // Ordered like the list, so that the capped count covers the rows the pages can reach.
        var count = await counted.Take(MaxRows + 1).CountAsync(ct);
        var total = Math.Min(count, MaxRows);
        var lastPage = Math.Max(1, (total + size - 1) / size);
        var page = clampToLastPage ? Math.Clamp(pageIndex, 1, lastPage) : pageIndex;
        var rows = page == 1 && firstPage is not null
            ? firstPage
            : page > lastPage ? [] : await rowsAt((page - 1) * size, Math.Min(size, MaxRows - (page - 1) * size)).ToListAsync(ct);
        return new PageOf<TRow>(rows, page, size, total, count > MaxRows);
    }
}

/// <summary>What <c>_Pager</c> needs: the page, and how to link to another page of the same list.</summary>
/// <param name="Noun">What the rows are, plural: "customers".</param>
public sealed record Pager(int Page, int LastPage, int FirstRow, int LastRow, int Total, bool MoreThanTotal, string Noun, Func<int, string?> UrlFor)
{
    public static Pager For<T>(PageOf<T> page, string noun, Func<int, string?> urlFor) =>
        new(page.Page, page.LastPage, page.FirstRow, page.LastRow, page.Total, page.MoreThanTotal, noun, urlFor);

    /// <summary>The first, the last, and the pages around the current one; null marks a gap.</summary>
    public IEnumerable<int?> Links()
    {
        var pages = new SortedSet<int> { 1, LastPage };
        for (var p = Math.Max(1, Page - 2); p <= Math.Min(LastPage, Page + 2); p++)
        {
            pages.Add(p);
        }
        int? before = null;
        foreach (var p in pages)
        {
            if (before is { } b && p - b > 1)
            {
                yield return null;
            }
            yield return p;
            before = p;
        }
    }
}
