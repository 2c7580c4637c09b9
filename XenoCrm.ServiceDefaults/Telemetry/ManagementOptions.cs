using System.ComponentModel.DataAnnotations;
using System.Net;
using System.Net.Sockets;

namespace XenoCrm.ServiceDefaults.Telemetry;

/// <summary>
/// Who may scrape <c>/metrics</c>: with <see cref="Port"/>, whoever reaches that port (and nobody on the public ones);
/// without it, clients of <see cref="AllowedNetworks"/> only, loopback by default.
/// <code>{ "Management": { "Port": 9464 } }</code> or <code>{ "Management": { "AllowedNetworks": ["10.0.0.0/8"] } }</code>
/// </summary>
public sealed class ManagementOptions : IValidatableObject
{
    public const string Section = "Management";

    /// <summary>Loopback, IPv4 and IPv6: a scrape from the same host.</summary>
    public static readonly IReadOnlyList<IPNetwork> Loopback = [IPNetwork.Parse("127.0.0.0/8"), IPNetwork.Parse("::1/128")];

    /// <summary>A port the process listens on besides its public ones, answering only <c>/metrics</c> and the health probes.</summary>
    [Range(1, 65535)]
    public int? Port { get; set; }

    /// <summary>
    /// Networks in CIDR form (<c>10.0.0.0/8</c>, <c>fd00::/8</c>) or single addresses whose clients may scrape when there
    /// is no <see cref="Port"/>. Empty means <see cref="Loopback"/>: the binder appends to a default list rather than
    /// replacing it, so the default is applied where the list is read.
    /// </summary>
    public List<string> AllowedNetworks { get; set; } = [];

    private IReadOnlyList<IPNetwork>? _networks;

    // A method's, not a property's, so that the configuration binder never reads it before it has bound the list.
    private IReadOnlyList<IPNetwork> Networks() => _networks ??=
        AllowedNetworks.Count == 0 ? Loopback : [.. AllowedNetworks.Select(n => TryParseNetwork(n, out var network) ? network : throw new FormatException(n))];

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        foreach (var entry in AllowedNetworks)
        {
            if (!TryParseNetwork(entry, out _))
            {
                yield return new ValidationResult(
                    $"{Section}:{nameof(AllowedNetworks)}: '{entry}' is not a network such as 10.0.0.0/8, fd00::/8 or one address.",
                    [nameof(AllowedNetworks)]);
            }
        }
    }

    /// <summary>Whether a client at <paramref name="remote"/> is in the allowed networks; no address (no network peer) is not.</summary>
    public bool AllowsClient(IPAddress? remote)
    {
        if (remote is null)
        {
            return false;
        }
        // A dual-stack socket reports an IPv4 client as ::ffff:a.b.c.d.
        var address = remote.IsIPv4MappedToIPv6 ? remote.MapToIPv4() : remote;
        return Networks().Any(n => n.Contains(address));
    }

    private static bool TryParseNetwork(string? text, out IPNetwork network)
    {
        text = text?.Trim();
        if (IPNetwork.TryParse(text, out network))
        {
            return true;
        }
        if (IPAddress.TryParse(text, out var address))
        {
            network = new IPNetwork(address, address.AddressFamily == AddressFamily.InterNetwork ? 32 : 128);
            return true;
        }
        return false;
    }
}
