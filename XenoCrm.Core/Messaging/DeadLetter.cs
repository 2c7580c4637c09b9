using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace XenoCrm.Core.Messaging;

/// <summary>A message that kept failing, kept with its body and the reason so it can be replayed.</summary>
public class DeadLetter
{
    public long Id { get; set; }
    public required string Topic { get; set; }
    public required string Body { get; set; }
    public required string Reason { get; set; }
    public int Attempts { get; set; }
    public DateTime CreatedAt { get; set; }
}

public sealed class DeadLetterConfiguration : IEntityTypeConfiguration<DeadLetter>
{
    public void Configure(EntityTypeBuilder<DeadLetter> builder)
    {
        builder.ToTable("dead_letters");
        builder.Property(d => d.Topic).HasMaxLength(100);
        builder.Property(d => d.Reason).HasMaxLength(2000);
        builder.HasIndex(d => d.CreatedAt);
    }
}
