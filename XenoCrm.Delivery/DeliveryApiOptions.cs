using System.ComponentModel.DataAnnotations;

namespace XenoCrm.Delivery;

/// <summary>
/// Section <c>Delivery</c>, read by the Delivery process for its HTTP API:
/// <code>{ "Delivery": { "ApiKey": "a long random secret" } }</code>
/// The same setting is what the sending side sends as <c>Authorization: Bearer &lt;key&gt;</c>, so one value
/// configures both ends. Only the Delivery process needs it; the embedded mode has no HTTP hop.
/// </summary>
public sealed class DeliveryApiOptions
{
    public const string Section = "Delivery";

    [Required(AllowEmptyStrings = false, ErrorMessage =
        "Delivery:ApiKey is required: the shared secret that callers send as 'Authorization: Bearer <key>'.")]
    public string? ApiKey { get; set; }
}
