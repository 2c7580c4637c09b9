using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace XenoCrm.Core.Idempotency;

/// <summary>
/// One <c>Idempotency-Key</c> a caller sent with a creating request: the request it was first used for (a hash of the
/// method, the path and the body) and, once that request was answered, the answer to replay. A row without
/// <see cref="CompletedAt"/> is a request still running somewhere (on any Web instance): the unique (scope, key)
/// index is what lets only one of two concurrent requests with the same key run.
/// </summary>
public class IdempotencyRecord
{
    public const int ScopeMaxLength = 200;
    public const int KeyMaxLength = 255;
    public const int LocationMaxLength = 2048;
    public const int ContentTypeMaxLength = 200;

    public long Id { get; set; }

    /// <summary>Whose key it is (<c>api-key:12</c>): the same key from two callers is two keys.</summary>
    public required string Scope { get; set; }

    /// <summary>
    /// SHA-256 of the key as sent: keys compare byte for byte (MariaDB's default collation would take "abc" for
    /// "ABC"), and the unique index stays 32 bytes whatever the key's length.
    /// </summary>
    public required byte[] KeyHash { get; set; }

    /// <summary>SHA-256 of the method, the path with its query and the body.</summary>
    public required byte[] RequestHash { get; set; }

    /// <summary>When the running request claimed the key (or took over an abandoned claim).</summary>
    public DateTime ClaimedAt { get; set; }

    public DateTime ExpiresAt { get; set; }

    public DateTime? CompletedAt { get; set; }

    public int? ResponseStatus { get; set; }
    public string? ResponseLocation { get; set; }
    public string? ResponseContentType { get; set; }
    public byte[]? ResponseBody { get; set; }
}

public sealed class IdempotencyRecordConfiguration : IEntityTypeConfiguration<IdempotencyRecord>
{
    public void Configure(EntityTypeBuilder<IdempotencyRecord> builder)
    {
        builder.ToTable("idempotency_keys");
        builder.Property(r => r.Scope).HasMaxLength(IdempotencyRecord.ScopeMaxLength);
        builder.Property(r => r.KeyHash).HasMaxLength(32);
        builder.Property(r => r.RequestHash).HasMaxLength(32);
        builder.Property(r => r.ResponseLocation).HasMaxLength(IdempotencyRecord.LocationMaxLength);
        builder.Property(r => r.ResponseContentType).HasMaxLength(IdempotencyRecord.ContentTypeMaxLength);
        builder.HasIndex(r => new { r.Scope, r.KeyHash }).IsUnique();
        builder.HasIndex(r => r.ExpiresAt);
    }
}
