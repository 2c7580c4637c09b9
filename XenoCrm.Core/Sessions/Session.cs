using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace XenoCrm.Core.Sessions;

/// <summary>
/// A person's signed-in session, server-side so that it can be revoked. The browser's cookie carries only a random
/// token; the row keeps its SHA-256 (<see cref="TokenHash"/>), so that whoever reads the database cannot use the rows
/// to sign in.
/// </summary>
public class Session
{
    public const int EmailMaxLength = 254;
    public const int NameMaxLength = 200;
    public const int RemoteAddressMaxLength = 45;
    public const int UserAgentMaxLength = 256;
    public const int RevokedByMaxLength = 254;
    public const int RevokeReasonMaxLength = 40;

    public long Id { get; set; }
    public required byte[] TokenHash { get; set; }
    public required string Email { get; set; }
    public required string Name { get; set; }

    /// <summary>The role last computed from the configuration (<see cref="CrmRoles"/>); recomputed on every request.</summary>
    public required string Role { get; set; }

    public DateTime CreatedAt { get; set; }

    /// <summary>Updated at most once a minute (<see cref="SessionStore.TouchResolution"/>), so a request is not a write.</summary>
    public DateTime LastSeenAt { get; set; }

    /// <summary>The absolute end, however active the session is.</summary>
    public DateTime ExpiresAt { get; set; }

    public DateTime? RevokedAt { get; set; }
    public string? RevokedBy { get; set; }
    public string? RevokeReason { get; set; }
    public string? RemoteAddress { get; set; }
    public string? UserAgent { get; set; }

    /// <summary>A short, non-secret label for logs and pages: the start of the token's hash, never of the token.</summary>
    public string Label => Convert.ToHexStringLower(TokenHash)[..8];
}

public sealed class SessionConfiguration : IEntityTypeConfiguration<Session>
{
    public void Configure(EntityTypeBuilder<Session> builder)
    {
        builder.ToTable("sessions");
        builder.Property(s => s.TokenHash).HasMaxLength(32);
        builder.Property(s => s.Email).HasMaxLength(Session.EmailMaxLength);
        builder.Property(s => s.Name).HasMaxLength(Session.NameMaxLength);
        builder.Property(s => s.Role).HasMaxLength(16);
        builder.Property(s => s.RevokedBy).HasMaxLength(Session.RevokedByMaxLength);
        builder.Property(s => s.RevokeReason).HasMaxLength(Session.RevokeReasonMaxLength);
        builder.Property(s => s.RemoteAddress).HasMaxLength(Session.RemoteAddressMaxLength);
        builder.Property(s => s.UserAgent).HasMaxLength(Session.UserAgentMaxLength);
        // Every request looks its session up by this.
        builder.HasIndex(s => s.TokenHash).IsUnique();
        builder.HasIndex(s => s.Email);
        builder.HasIndex(s => s.ExpiresAt);
    }
}
