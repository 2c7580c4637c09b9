using System.Linq.Expressions;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.EntityFrameworkCore;
using XenoCrm.Core.Customers;
using XenoCrm.Core.Data;
using XenoCrm.Web.Seeding;

namespace XenoCrm.Web.Pages.Customers;

public sealed class IndexModel(CrmDbContext db) : PageModel
{
    public const int MaxSearchLength = 200;

    /// <param name="Q">A name or email to look for.</param>
    /// <param name="Sort">newest (the default), spend, orders or last-order.</param>
    /// <param name="Dir">desc (the default) or asc.</param>
    public sealed record ListQuery(string? Q = null, string? Sort = null, string? Dir = null, int PageIndex = 1, int Size = 25);

    public sealed record CustomerRow(
        long Id, string Name, string Email, string? City, string? Country, decimal TotalSpend, int OrderCount, DateTime? LastOrderAt);

    public static class Sorts
    {
        public const string Newest = "newest";
        public const string Spend = "spend";
        public const string Orders = "orders";
        public const string LastOrder = "last-order";
    }

    public string Search { get; private set; } = "";
    public string Sort { get; private set; } = Sorts.Newest;
    public bool Ascending { get; private set; }
    public PageOf<CustomerRow> Customers { get; private set; } = null!;

    /// <summary>Whether generated demo customers are in the list (the embedded mode's first start, or the seed command).</summary>
    public bool HasDemoData { get; private set; }
    public Pager Pager { get; private set; } = null!;

    public async Task OnGetAsync([FromQuery] ListQuery query, CancellationToken ct)
    {
        Search = (query.Q ?? "").Trim();
        if (Search.Length > MaxSearchLength)
        {
            Search = Search[..MaxSearchLength];
        }
        Sort = query.Sort is Sorts.Spend or Sorts.Orders or Sorts.LastOrder ? query.Sort : Sorts.Newest;
        Ascending = query.Dir == "asc";

        Customers = await Paging.ReadAsync(Matching(db.Customers.AsNoTracking(), Search), Ordered,
            customers => customers.Select(c => new CustomerRow(c.Id, c.Name, c.Email, c.City, c.Country, c.TotalSpend, c.OrderCount, c.LastOrderAt)),
            query.PageIndex, query.Size, ct);
        // A prefix range on the unique index on external ids: one index probe, whatever the size of the table.
        HasDemoData = await db.Customers.AnyAsync(c => c.ExternalId!.StartsWith(DemoData.CustomerExternalIdPrefix), ct);
        Pager = Pager.For(Customers, "customers", pageIndex => UrlFor(pageIndex: pageIndex));
    }

    /// <summary>
    /// A term with an @ is an email prefix: a range on the unique index on email (emails are stored
    /// lowercased). Any other term is looked for inside names and emails, which no index can serve:
    /// a scan that stops once a page is full when matches are common, with the count stopping at
    /// <see cref="Paging.MaxRows"/>; a rare term costs one pass over the table (about half a second
    /// at a million customers on MariaDB).
    /// </summary>
    private static IQueryable<Customer> Matching(IQueryable<Customer> customers, string search)
    {
        if (search.Length == 0)
        {
            return customers;
        }
        var escaped = LikePattern.Escape(search);
        if (search.Contains('@', StringComparison.Ordinal))
        {
            var prefix = escaped.ToLowerInvariant() + "%";
            return customers.Where(c => EF.Functions.Like(c.Email, prefix, LikePattern.EscapeCharacter));
        }
        // LIKE rather than Contains: SQLite's instr() would be case-sensitive.
        var pattern = "%" + escaped + "%";
        return customers.Where(c => EF.Functions.Like(c.Name, pattern, LikePattern.EscapeCharacter) || EF.Functions.Like(c.Email, pattern, LikePattern.EscapeCharacter));
    }


    /// <summary>
    /// Spend, orders and last order each read their own index in order. The id breaks ties, so
    /// that pages never overlap.
    /// </summary>
    private IOrderedQueryable<Customer> Ordered(IQueryable<Customer> customers) => Sort switch
    {
        Sorts.Spend => Sorted(customers, c => c.TotalSpend),
        Sorts.Orders => Sorted(customers, c => c.OrderCount),
        Sorts.LastOrder => Sorted(customers, c => c.LastOrderAt),
        _ => Ascending ? customers.OrderBy(c => c.Id) : customers.OrderByDescending(c => c.Id),
    };

    private IOrderedQueryable<Customer> Sorted<TKey>(IQueryable<Customer> customers, Expression<Func<Customer, TKey>> key) =>
        Ascending ? customers.OrderBy(key).ThenBy(c => c.Id) : customers.OrderByDescending(key).ThenByDescending(c => c.Id);

    public string? UrlFor(string? sort = null, bool? ascending = null, int pageIndex = 1) =>
        Url.Page("/Customers/Index", new
        {
            q = Search.Length == 0 ? null : Search,
            sort = (sort ?? Sort) == Sorts.Newest ? null : sort ?? Sort,
            dir = ascending ?? Ascending ? "asc" : null,
            pageIndex = pageIndex == 1 ? (int?)null : pageIndex,
            size = Customers.Size == Paging.Sizes[0] ? (int?)null : Customers.Size,
        });

    public string SortDescription => (Sort, Ascending) switch
    {
        (Sorts.Spend, false) => "Highest total spend first",
        (Sorts.Spend, true) => "Lowest total spend first",
        (Sorts.Orders, false) => "Most orders first",
        (Sorts.Orders, true) => "Fewest orders first",
        (Sorts.LastOrder, false) => "Most recent order first",
        (Sorts.LastOrder, true) => "Customers without orders, then the longest since their last order",
        (_, true) => "Oldest customers first",
        _ => "Newest customers first",
    };

    /// <summary>A column header's link: the first click sorts high to low, the next flips it.</summary>
    public string? SortUrl(string sort) => UrlFor(sort, ascending: Sort == sort && !Ascending);

    public string? SortMark(string sort) => Sort != sort ? null : Ascending ? "▲" : "▼";

    public string? AriaSort(string sort) => Sort != sort ? null : Ascending ? "ascending" : "descending";
}
