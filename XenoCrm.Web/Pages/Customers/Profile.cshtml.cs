using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.EntityFrameworkCore;
using XenoCrm.Core.Campaigns;
using XenoCrm.Core.Data;

namespace XenoCrm.Web.Pages.Customers;

public sealed class ProfileModel(CrmDbContext db) : PageModel
{
    private const int OrdersPerPage = 25;
    public const int MessagesListed = 20;

    public sealed record CustomerProfile(
        long Id, string Name, string Email, string? Phone, string? City, string? Country, string? ExternalId,
        DateTime? SignedUpAt, DateTime CreatedAt, DateTime UpdatedAt,
        decimal TotalSpend, int OrderCount, DateTime? FirstOrderAt, DateTime? LastOrderAt)
    {
        public decimal? AverageOrderValue => OrderCount == 0 ? null : Math.Round(TotalSpend / OrderCount, 2);
        public string? Place => City is null ? Country : Country is null ? City : $"{City}, {Country}";
    }

    public sealed record OrderRow(long Id, string ExternalId, decimal Amount, DateTime OrderedAt);

    public sealed record MessageRow(long CampaignId, string CampaignName, MessageStatus Status, int Attempt, string? FailureReason, string? Message, DateTime? CompletedAt);

    public CustomerProfile Customer { get; private set; } = null!;
    public PageOf<OrderRow> Orders { get; private set; } = null!;
    public Pager Pager { get; private set; } = null!;

    /// <summary>The latest messages campaigns sent this customer, newest first.</summary>
    public IReadOnlyList<MessageRow> Messages { get; private set; } = [];

    public async Task<IActionResult> OnGetAsync(long id, int pageIndex = 1, CancellationToken ct = default)
    {
        var customer = await db.Customers.AsNoTracking()
            .Where(c => c.Id == id)
            .Select(c => new CustomerProfile(c.Id, c.Name, c.Email, c.Phone, c.City, c.Country, c.ExternalId,
                c.SignedUpAt, c.CreatedAt, c.UpdatedAt, c.TotalSpend, c.OrderCount, c.FirstOrderAt, c.LastOrderAt))
            .SingleOrDefaultAsync(ct);
        if (customer is null)
        {
            return NotFound();
        }
        Customer = customer;
        // The (customer_id, ordered_at) index serves both the filter and the order.
        Orders = await Paging.ReadAsync(
            db.Orders.AsNoTracking().Where(o => o.CustomerId == id),
            orders => orders.OrderByDescending(o => o.OrderedAt).ThenByDescending(o => o.Id),
            orders => orders.Select(o => new OrderRow(o.Id, o.ExternalId, o.Amount, o.OrderedAt)),
            pageIndex, OrdersPerPage, ct);
        // The (customer_id, created_at) index on the log serves both the filter and the order.
        Messages = await (
                from l in db.CommunicationLog.AsNoTracking()
                where l.CustomerId == id
                join campaign in db.Campaigns on l.CampaignId equals campaign.Id
                orderby l.CreatedAt descending, l.Id descending
                select new MessageRow(campaign.Id, campaign.Name, l.Status, l.Attempt, l.FailureReason, l.Message, l.CompletedAt))
            .Take(MessagesListed)
            .ToListAsync(ct);
        Pager = Pager.For(Orders, "orders", p => Url.Page("/Customers/Profile", new { id, pageIndex = p == 1 ? (int?)null : p }));
        return Page();
    }
}
