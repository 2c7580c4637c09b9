namespace XenoCrm.Core.ApiKeys;

/// <summary>A machine credential for <c>/api/v1</c>. Only a hash of the key is stored.</summary>
public class ApiKey
{
    public long Id { get; set; }
    public required string Name { get; set; }
    /// <summary>The key's public, non-secret part: shown in lists and used to find the row.</summary>
    public required string Prefix { get; set; }
    public required byte[] Hash { get; set; }
    public required string CreatedBy { get; set; }
    public DateTime CreatedAt { get; set; }
    public DateTime? LastUsedAt { get; set; }
    public DateTime? RevokedAt { get; set; }
}
