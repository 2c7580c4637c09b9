namespace XenoCrm.Core.Customers;

public class Customer
{
    public long Id { get; set; }
    public string? ExternalId { get; set; }
    public required string Email { get; set; }
    public required string Name { get; set; }
    public string? Phone { get; set; }
    public string? City { get; set; }
    public string? Country { get; set; }
    public DateTime? SignedUpAt { get; set; }
    public DateTime CreatedAt { get; set; }
    public DateTime UpdatedAt { get; set; }

    // Aggregates kept by the ingestion worker in the same transaction as the orders that change them.
    public decimal TotalSpend { get; set; }
    public int OrderCount { get; set; }
    /// <summary>Total spend ÷ order count, rounded to cents; stored so that segments compare it exactly and by index.</summary>
    public decimal? AvgOrderValue { get; set; }
    public DateTime? FirstOrderAt { get; set; }
    public DateTime? LastOrderAt { get; set; }
}
