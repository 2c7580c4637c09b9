using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace XenoCrm.Core.Audit;

/// <summary>
/// One row of <c>audit_log</c>: who (<see cref="Actor"/>, from <see cref="ActorAddress"/>) did what
/// (<see cref="Action"/>, one of <see cref="AuditActions"/>) to what (<see cref="TargetType"/>, <see cref="TargetId"/>,
/// <see cref="TargetLabel"/>) and when. Rows are only ever added; nothing references them and they reference nothing,
/// so that deleting a campaign or revoking a key leaves its history readable.
/// </summary>
public class AuditLogEntry
{
    public const int TargetIdMaxLength = 64;
    public const int TargetLabelMaxLength = 200;
    public const int DetailsMaxLength = 500;

    public long Id { get; set; }
    public DateTime OccurredAt { get; set; }
    public required string Actor { get; set; }
    public string? ActorAddress { get; set; }
    public required string Action { get; set; }
    public string? TargetType { get; set; }
    public string? TargetId { get; set; }
    public string? TargetLabel { get; set; }
    public string? Details { get; set; }
    public string? Outcome { get; set; }
}

public sealed class AuditLogEntryConfiguration : IEntityTypeConfiguration<AuditLogEntry>
{
    public void Configure(EntityTypeBuilder<AuditLogEntry> builder)
    {
        builder.ToTable("audit_log");
        builder.Property(e => e.Actor).HasMaxLength(AuditActor.NameMaxLength);
        builder.Property(e => e.ActorAddress).HasMaxLength(AuditActor.AddressMaxLength);
        builder.Property(e => e.Action).HasMaxLength(AuditActions.MaxLength);
        builder.Property(e => e.TargetType).HasMaxLength(AuditTargets.TypeMaxLength);
        builder.Property(e => e.TargetId).HasMaxLength(AuditLogEntry.TargetIdMaxLength);
        builder.Property(e => e.TargetLabel).HasMaxLength(AuditLogEntry.TargetLabelMaxLength);
        builder.Property(e => e.Details).HasMaxLength(AuditLogEntry.DetailsMaxLength);
        builder.Property(e => e.Outcome).HasMaxLength(AuditOutcomes.MaxLength);
        // The audit page lists newest first, filtered by person, by action, or by neither; each filter has its index,
        // the time range being a range on its second column. The id breaks ties (InnoDB appends it to every index).
        builder.HasIndex(e => new { e.OccurredAt, e.Id });
        builder.HasIndex(e => new { e.Actor, e.OccurredAt });
        builder.HasIndex(e => new { e.Action, e.OccurredAt });
    }
}
