using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace XenoCrm.Core.Customers;

public sealed class CustomerConfiguration : IEntityTypeConfiguration<Customer>
{
    public const int EmailMaxLength = 254;
    public const int NameMaxLength = 200;
    public const int ExternalIdMaxLength = 100;
    public const int PhoneMaxLength = 40;
    public const int PlaceMaxLength = 100;

    public void Configure(EntityTypeBuilder<Customer> builder)
    {
        builder.ToTable("customers");
        builder.Property(c => c.ExternalId).HasMaxLength(ExternalIdMaxLength);
        builder.Property(c => c.Email).HasMaxLength(EmailMaxLength);
        builder.Property(c => c.Name).HasMaxLength(NameMaxLength);
        builder.Property(c => c.Phone).HasMaxLength(PhoneMaxLength);
        builder.Property(c => c.City).HasMaxLength(PlaceMaxLength);
        builder.Property(c => c.Country).HasMaxLength(PlaceMaxLength);
        builder.Property(c => c.TotalSpend).HasPrecision(18, 2);
        builder.Property(c => c.AvgOrderValue).HasPrecision(18, 2);

        builder.HasIndex(c => c.ExternalId).IsUnique();
        builder.HasIndex(c => c.Email).IsUnique();
        // One index per segment field that equality, prefix and range rules can use.
        builder.HasIndex(c => c.TotalSpend);
        builder.HasIndex(c => c.City);
        builder.HasIndex(c => c.Country);
        builder.HasIndex(c => c.SignedUpAt);
        builder.HasIndex(c => c.FirstOrderAt);
        builder.HasIndex(c => c.LastOrderAt);
        builder.HasIndex(c => c.OrderCount);
        builder.HasIndex(c => c.AvgOrderValue);
    }
}
