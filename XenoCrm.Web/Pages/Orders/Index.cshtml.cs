using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.EntityFrameworkCore;
using XenoCrm.Core.Data;

namespace XenoCrm.Web.Pages.Orders;

public sealed class IndexModel(CrmDbContext db) : PageModel
{
    public sealed record ListQuery(long? CustomerId = null, int PageIndex = 1, int Size = 25);

    public sealed record OrderRow(long Id, string ExternalId, decimal Amount, DateTime OrderedAt, long CustomerId, string CustomerName, string CustomerEmail);

    public sealed record CustomerFilter(long Id, string Name, string Email);

    public CustomerFilter? Customer { get; private set; }
    public PageOf<OrderRow> Orders { get; private set; } = null!;
    public Pager Pager { get; private set; } = null!;

    public async Task<IActionResult> OnGetAsync([FromQuery] ListQuery query, CancellationToken ct)
    {
        var orders = db.Orders.AsNoTracking();
        if (query.CustomerId is { } customerId)
        {
            Customer = await db.Customers.AsNoTracking()
                .Where(c => c.Id == customerId)
                .Select(c => new CustomerFilter(c.Id, c.Name, c.Email))
                .SingleOrDefaultAsync(ct);
            if (Customer is null)
            {
                return NotFound();
            }
            orders = orders.Where(o => o.CustomerId == customerId);
        }
        // Newest by order date, the id breaking ties. One customer's orders come from the
        // (customer_id, ordered_at) index, all orders from the ordered_at index.
        Orders = await Paging.ReadAsync(orders,
            filtered => filtered.OrderByDescending(o => o.OrderedAt).ThenByDescending(o => o.Id),
            page => page.Join(db.Customers, o => o.CustomerId, c => c.Id,
                (o, c) => new OrderRow(o.Id, o.ExternalId, o.Amount, o.OrderedAt, c.Id, c.Name, c.Email)),
            query.PageIndex, query.Size, ct);
        Pager = Pager.For(Orders, "orders", pageIndex => UrlFor(pageIndex));
        return Page();
    }

    private string? UrlFor(int pageIndex) => Url.Page("/Orders/Index", new
    {
        customerId = Customer?.Id,
        pageIndex = pageIndex == 1 ? (int?)null : pageIndex,
        size = Orders.Size == Paging.Sizes[0] ? (int?)null : Orders.Size,
    });
}
