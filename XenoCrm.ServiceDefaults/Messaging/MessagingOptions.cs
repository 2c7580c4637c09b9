using System.ComponentModel.DataAnnotations;

namespace XenoCrm.ServiceDefaults.Messaging;

/// <summary>
/// Section <c>Messaging</c>:
/// <code>{ "Messaging": { "PublishTimeout": "00:00:05", "RetryDelay": "00:00:05", "MaxAttempts": 12 } }</code>
/// </summary>
public sealed class MessagingOptions
{
    public const string Section = "Messaging";

    /// <summary>How long a publish may wait for the broker's confirm before the API answers 503.</summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "00:01:00")]
    public TimeSpan PublishTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>How long a deferred message (an order whose customer has not arrived) waits before its next attempt.</summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "01:00:00")]
    public TimeSpan RetryDelay { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Attempts before a message that keeps failing goes to the dead letters.</summary>
    [Range(1, 1000)]
    public int MaxAttempts { get; set; } = 12;
}
