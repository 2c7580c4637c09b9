using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace XenoCrm.Core.Segments;

/// <summary>A saved audience: a name and its rule tree, kept as versioned JSON (<see cref="SegmentRulesJson"/>).</summary>
public class Segment
{
    public const int NameMaxLength = 100;

    public long Id { get; set; }
    public required string Name { get; set; }
    public required string Rules { get; set; }
    public required string CreatedBy { get; set; }
    public DateTime CreatedAt { get; set; }
    public required string UpdatedBy { get; set; }
    public DateTime UpdatedAt { get; set; }
}

public sealed class SegmentConfiguration : IEntityTypeConfiguration<Segment>
{
    public void Configure(EntityTypeBuilder<Segment> builder)
    {
        builder.ToTable("segments");
        builder.Property(s => s.Name).HasMaxLength(Segment.NameMaxLength);
        builder.Property(s => s.CreatedBy).HasMaxLength(254);
        builder.Property(s => s.UpdatedBy).HasMaxLength(254);
        builder.HasIndex(s => s.Name).IsUnique();
        builder.HasIndex(s => s.UpdatedAt);
    }
}
