using System.Net;

namespace XenoCrm.Core.Audit;

/// <summary>
/// Who did something and from where: a person's email, <c>api-key:&lt;prefix&gt;</c> for a machine (the key's public
/// part, as Settings → API keys shows it, never the key), <c>cli</c> for the operator commands, <c>system</c> for
/// XenoCrm itself; and the client's IP address when there was a request.
/// </summary>
public sealed record AuditActor(string Name, string? Address)
{
    public const int NameMaxLength = 254;
    public const int AddressMaxLength = 45;

    public const string ApiKeyPrefix = "api-key:";

    /// <summary>The operator commands (<c>api-keys</c>, <c>dead-letters</c>): whoever runs them on the server.</summary>
    public static AuditActor CommandLine { get; } = new("cli", null);

    public static AuditActor System { get; } = new("system", null);

    public static AuditActor Person(string email, IPAddress? address) => new(email.Trim().ToLowerInvariant(), Text(address));

    public static AuditActor ApiKey(string prefix, IPAddress? address) => new(ApiKeyPrefix + prefix, Text(address));

    /// <summary>IPv4 clients of a dual-stack socket arrive as <c>::ffff:a.b.c.d</c>; they are shown as <c>a.b.c.d</c>.</summary>
    public static string? Text(IPAddress? address) =>
        address is null ? null : (address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address).ToString();
}
