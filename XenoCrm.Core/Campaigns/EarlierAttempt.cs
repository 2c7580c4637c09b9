using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace XenoCrm.Core.Campaigns;

/// <summary>
/// A failed attempt of a log row that "retry failed" sent again (the <c>earlier_attempts</c> table). The log row
/// moves on to the new attempt; this keeps what the earlier one ended in, so the chart and the failures table
/// still show every attempt's failures.
/// </summary>
public class EarlierAttempt
{
    public long Id { get; set; }
    public long LogId { get; set; }
    public long CampaignId { get; set; }
    public int Attempt { get; set; }
    public string? FailureReason { get; set; }
    public DateTime? SubmittedAt { get; set; }
    public DateTime? CompletedAt { get; set; }
}

public sealed class EarlierAttemptConfiguration : IEntityTypeConfiguration<EarlierAttempt>
{
    public void Configure(EntityTypeBuilder<EarlierAttempt> builder)
    {
        builder.ToTable("earlier_attempts");
        builder.Property(e => e.FailureReason).HasMaxLength(CommunicationLogEntry.FailureReasonMaxLength);
        builder.HasOne<CommunicationLogEntry>().WithMany().HasForeignKey(e => e.LogId).OnDelete(DeleteBehavior.Cascade);
        // A row's attempt is recorded once: a retry that ran twice could not add it again.
        builder.HasIndex(e => new { e.LogId, e.Attempt }).IsUnique();
        builder.HasIndex(e => new { e.CampaignId, e.CompletedAt });
    }
}
