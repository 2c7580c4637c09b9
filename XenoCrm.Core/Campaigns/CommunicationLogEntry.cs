using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using XenoCrm.Core.Customers;

namespace XenoCrm.Core.Campaigns;

/// <summary>
/// A recipient's way through a send: Pending → Submitted (handed to Delivery) → Sent or Failed,
/// each terminal status reached once. Skipped is for recipients a cancel left unsent.
/// The numbers are stored, so they must never be reordered.
/// </summary>
public enum MessageStatus
{
    Pending = 0,
    Submitted = 1,
    Sent = 2,
    Failed = 3,
    Skipped = 4,
}

/// <summary>One row per campaign and recipient (the <c>communication_log</c> table).</summary>
public class CommunicationLogEntry
{
    public const int FailureReasonMaxLength = 200;

    public long Id { get; set; }
    public long CampaignId { get; set; }
    public long CustomerId { get; set; }
    public Customer? Customer { get; set; }
    public MessageStatus Status { get; set; }

    /// <summary>The campaign attempt this row is in: 1, or the number of the "retry failed" that resent it.</summary>
    public int Attempt { get; set; } = 1;

    /// <summary>The message as rendered for this recipient, recorded when it is handed to Delivery.</summary>
    public string? Message { get; set; }

    public string? FailureReason { get; set; }
    public DateTime CreatedAt { get; set; }
    public DateTime? SubmittedAt { get; set; }
    public DateTime? CompletedAt { get; set; }
}

public sealed class CommunicationLogEntryConfiguration : IEntityTypeConfiguration<CommunicationLogEntry>
{
    public void Configure(EntityTypeBuilder<CommunicationLogEntry> builder)
    {
        builder.ToTable("communication_log");
        builder.Property(e => e.FailureReason).HasMaxLength(CommunicationLogEntry.FailureReasonMaxLength);
        builder.Property(e => e.Message).HasMaxLength(Campaign.TemplateMaxLength * 2);
        builder.HasOne<Campaign>().WithMany().HasForeignKey(e => e.CampaignId).OnDelete(DeleteBehavior.Cascade);
        builder.HasOne(e => e.Customer).WithMany().HasForeignKey(e => e.CustomerId).OnDelete(DeleteBehavior.Cascade);
        builder.HasIndex(e => new { e.CampaignId, e.CustomerId }).IsUnique();
        builder.HasIndex(e => new { e.CampaignId, e.Status });
        builder.HasIndex(e => new { e.CustomerId, e.CreatedAt });
    }
}
