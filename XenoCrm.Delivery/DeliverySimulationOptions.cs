using System.ComponentModel.DataAnnotations;

namespace XenoCrm.Delivery;

/// <summary>
/// Section <c>DeliverySimulation</c>, how the simulated vendor behaves:
/// <code>
/// { "DeliverySimulation": { "SuccessRate": 0.9, "Seed": 42, "Latency": "00:00:00", "MaxBatchSize": 5000,
///     "ServerErrorRate": 0, "TooManyRequestsRate": 0, "TimeoutRate": 0, "TimeoutDelay": "00:00:30" } }
/// </code>
/// The three fault rates are shares of HTTP batch requests and exclude one another, so together they are at most 1.
/// </summary>
public sealed class DeliverySimulationOptions : IValidatableObject
{
    public const string Section = "DeliverySimulation";

    /// <summary>Share of messages that end SENT; the rest end FAILED with a reason.</summary>
    [Range(0.0, 1.0)]
    public double SuccessRate { get; set; } = 0.9;

    /// <summary>
    /// Mixed into every outcome and seeds the fault rolls, so that a run is reproducible and another seed gives other
    /// outcomes and faults.
    /// </summary>
    public int Seed { get; set; } = 42;

    /// <summary>How long the vendor works on a batch before answering (benchmarks use it to model a real vendor).</summary>
    [Range(typeof(TimeSpan), "00:00:00", "00:01:00")]
    public TimeSpan Latency { get; set; } = TimeSpan.Zero;

    /// <summary>Share of batch requests answered 500 without accepting anything.</summary>
    [Range(0.0, 1.0)]
    public double ServerErrorRate { get; set; }

    /// <summary>Share of batch requests answered 429 with <c>Retry-After: 1</c> without accepting anything.</summary>
    [Range(0.0, 1.0)]
    public double TooManyRequestsRate { get; set; }

    /// <summary>Share of batch requests that hang for <see cref="TimeoutDelay"/>, then answer 504 without accepting anything.</summary>
    [Range(0.0, 1.0)]
    public double TimeoutRate { get; set; }

    [Range(typeof(TimeSpan), "00:00:00", "00:10:00")]
    public TimeSpan TimeoutDelay { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Messages one batch request may carry; more is a 400.</summary>
    [Range(1, 100_000)]
    public int MaxBatchSize { get; set; } = 5000;

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (ServerErrorRate + TooManyRequestsRate + TimeoutRate > 1.0)
        {
            yield return new ValidationResult(
                $"{Section}:ServerErrorRate + {Section}:TooManyRequestsRate + {Section}:TimeoutRate must be at most 1.",
                [nameof(ServerErrorRate), nameof(TooManyRequestsRate), nameof(TimeoutRate)]);
        }
    }
}
