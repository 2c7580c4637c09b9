using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using XenoCrm.Core.Customers;

namespace XenoCrm.Core.Orders;

public sealed class OrderConfiguration : IEntityTypeConfiguration<Order>
{
    public const int ExternalIdMaxLength = 100;

    public void Configure(EntityTypeBuilder<Order> builder)
    {
        builder.ToTable("orders");
        builder.Property(o => o.ExternalId).HasMaxLength(ExternalIdMaxLength);
        builder.Property(o => o.Amount).HasPrecision(18, 2);
        builder.HasIndex(o => o.ExternalId).IsUnique();
        builder.HasIndex(o => new { o.CustomerId, o.OrderedAt });
        // The orders list reads newest first.
        builder.HasIndex(o => o.OrderedAt);
        builder.HasOne<Customer>().WithMany().HasForeignKey(o => o.CustomerId).OnDelete(DeleteBehavior.Restrict);
    }
}
