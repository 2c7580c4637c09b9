namespace XenoCrm.Core.Orders;

public class Order
{
    public long Id { get; set; }
    public required string ExternalId { get; set; }
    public long CustomerId { get; set; }
    public decimal Amount { get; set; }
    public DateTime OrderedAt { get; set; }
    public DateTime CreatedAt { get; set; }
}
