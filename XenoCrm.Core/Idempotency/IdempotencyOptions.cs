using System.ComponentModel.DataAnnotations;

namespace XenoCrm.Core.Idempotency;

/// <summary>
/// Section <c>Idempotency</c>:
/// <code>{ "Idempotency": { "Retention": "1.00:00:00", "AbandonedAfter": "00:01:00" } }</code>
/// </summary>
public sealed class IdempotencyOptions
{
    public const string Section = "Idempotency";

    /// <summary>How long a key and its answer are kept: a retry within it replays the answer, one after it runs again.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "30.00:00:00")]
    public TimeSpan Retention { get; set; } = TimeSpan.FromDays(1);

    /// <summary>
    /// How long a claim may stay unanswered before a retry takes it over: the instance that claimed it died mid-request
    /// (a creating request takes well under a second), and without this its key would answer 409 until it expired.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:01", "01:00:00")]
    public TimeSpan AbandonedAfter { get; set; } = TimeSpan.FromMinutes(1);
}
