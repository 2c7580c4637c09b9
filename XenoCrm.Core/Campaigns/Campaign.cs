using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using XenoCrm.Core.Segments;

namespace XenoCrm.Core.Campaigns;

public enum CampaignStatus
{
    Draft,
    Scheduled,
    Sending,
    Completed,
    Cancelled,
}

/// <summary>
/// A message to a segment. The counters <see cref="Sent"/>, <see cref="Failed"/> and <see cref="Skipped"/>
/// move in the same transaction as the <c>communication_log</c> rows they count, so they always equal
/// the rows; pending is what is left of <see cref="AudienceSize"/> (<c>CampaignStatistics.Summary.Pending</c>).
/// </summary>
public class Campaign
{
    public const int NameMaxLength = 150;
    public const int TemplateMaxLength = 10_000;

    public long Id { get; set; }
    public required string Name { get; set; }
    public long? SegmentId { get; set; }
    public Segment? Segment { get; set; }

    /// <summary>The segment's name and rules as they were when the send started, so that history stays true.</summary>
    public string? SegmentNameSnapshot { get; set; }

    public string? RulesSnapshot { get; set; }
    public required string Template { get; set; }
    /// <summary>Changed only through <see cref="CampaignLifecycle"/>: <see cref="Apply"/> for a tracked campaign, its guards in set-based updates.</summary>
    public CampaignStatus Status { get; private set; } = CampaignStatus.Draft;

    /// <summary>When a scheduled campaign starts (UTC), and the IANA time zone the operator chose it in.</summary>
    public DateTime? ScheduledAt { get; set; }

    public string? TimeZone { get; set; }
    public DateTime? StartedAt { get; set; }
    public DateTime? CompletedAt { get; set; }
    public DateTime? CancelledAt { get; set; }

    /// <summary>Null until the start job has snapshotted the audience into the log.</summary>
    public int? AudienceSize { get; set; }

    public int Sent { get; set; }
    public int Failed { get; set; }

    /// <summary>Recipients left unsent because the campaign was cancelled.</summary>
    public int Skipped { get; set; }

    /// <summary>1 for the first send; each "retry failed" starts the next attempt.</summary>
    public int Attempt { get; set; } = 1;

    /// <summary>The last time a chunk was submitted or a receipt applied: the reconciler's measure of a stall.</summary>
    public DateTime? LastProgressAt { get; set; }

    /// <summary>The reconciler's lease, so that one Workers instance at a time repairs a campaign.</summary>
    public DateTime? ReconciledAt { get; set; }

    public required string CreatedBy { get; set; }
    public DateTime CreatedAt { get; set; }
    public DateTime UpdatedAt { get; set; }

    /// <summary>Moves <see cref="Status"/> as the lifecycle's table says for <paramref name="command"/>, or throws if it does not allow it.</summary>
    internal void Apply(CampaignCommand command) => Status = CampaignLifecycle.After(Status, command);
}

public sealed class CampaignConfiguration : IEntityTypeConfiguration<Campaign>
{
    public void Configure(EntityTypeBuilder<Campaign> builder)
    {
        builder.ToTable("campaigns");
        builder.Property(c => c.Name).HasMaxLength(Campaign.NameMaxLength);
        builder.Property(c => c.SegmentNameSnapshot).HasMaxLength(Segment.NameMaxLength);
        builder.Property(c => c.Template).HasMaxLength(Campaign.TemplateMaxLength);
        builder.Property(c => c.TimeZone).HasMaxLength(100);
        builder.Property(c => c.CreatedBy).HasMaxLength(254);
        // Deleting a segment that only finished campaigns used keeps their history (the snapshot);
        // the API refuses to delete one that a scheduled or sending campaign still needs.
        builder.HasOne(c => c.Segment).WithMany().HasForeignKey(c => c.SegmentId).OnDelete(DeleteBehavior.SetNull);
        builder.HasIndex(c => c.CreatedAt);
        builder.HasIndex(c => c.Status);
    }
}
