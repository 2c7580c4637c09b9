using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace XenoCrm.Core.ApiKeys;

public sealed class ApiKeyConfiguration : IEntityTypeConfiguration<ApiKey>
{
    public void Configure(EntityTypeBuilder<ApiKey> builder)
    {
        builder.ToTable("api_keys");
        builder.Property(k => k.Name).HasMaxLength(100);
        builder.Property(k => k.Prefix).HasMaxLength(32);
        builder.Property(k => k.Hash).HasMaxLength(32);
        builder.Property(k => k.CreatedBy).HasMaxLength(254);
        builder.HasIndex(k => k.Prefix).IsUnique();
    }
}
