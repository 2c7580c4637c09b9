using System.ComponentModel.DataAnnotations;

namespace XenoCrm.Core.Campaigns;

/// <summary>
/// Section <c>Campaigns</c>:
/// <code>{ "Campaigns": { "ChunkSize": 1000, "StallTimeout": "00:02:00", "ReconcileInterval": "00:00:10" } }</code>
/// </summary>
public sealed class CampaignOptions
{
    public const string Section = "Campaigns";

    /// <summary>Recipients per chunk job, rendered and posted to Delivery in one request (1 gives the naive baseline the bench compares against).</summary>
    [Range(1, 5000)]
    public int ChunkSize { get; set; } = 1000;

    /// <summary>How long a sending campaign may go without a submitted chunk or an applied receipt before the reconciler redoes its remaining work.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "1.00:00:00")]
    public TimeSpan StallTimeout { get; set; } = TimeSpan.FromMinutes(2);

    /// <summary>How often each Workers process looks for stalled or overdue campaigns.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "01:00:00")]
    public TimeSpan ReconcileInterval { get; set; } = TimeSpan.FromSeconds(10);
}

/// <summary>
/// Section <c>Delivery</c>, read by the process that sends:
/// <code>{ "Delivery": { "BaseUrl": "http://delivery:8080", "ApiKey": "…", "Timeout": "00:00:10" } }</code>
/// Without <c>BaseUrl</c> the process hosts the simulated Delivery role itself (the embedded mode).
/// </summary>
public sealed class DeliveryOptions
{
    public const string Section = "Delivery";

    public Uri? BaseUrl { get; set; }

    /// <summary>The shared secret Delivery expects as a bearer token.</summary>
    public string? ApiKey { get; set; }

    [Range(typeof(TimeSpan), "00:00:01", "00:10:00")]
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(10);
}
