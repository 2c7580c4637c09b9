namespace XenoCrm.Bench;

/// <summary>The sizes of a segment run. The defaults are the full run (1M customers, as in the service level it measures); <see cref="Quick"/> checks that the scenario works.</summary>
public sealed record SegmentSettings
{
    public static SegmentSettings Full { get; } = new();

    public static SegmentSettings Quick { get; } = new()
    {
        Customers = 20_000,
        Orders = 100_000,
        TimedCalls = 5,
        IsQuick = true,
    };

    public int Customers { get; init; } = 1_000_000;

    public long Orders { get; init; } = 5_000_000;

    /// <summary>Untimed calls per tree and per path before the timed ones.</summary>
    public int WarmUpCalls { get; init; } = 3;

    /// <summary>Timed calls per tree and per path (preview and hand-written SQL, taken in turns).</summary>
    public int TimedCalls { get; init; } = 30;

    /// <summary>The service level is measured at 1M customers with a 2 GB buffer pool, where the data fits in memory.</summary>
    public string BufferPoolSize { get; init; } = "2G";

    public int Seed { get; init; } = 20_240_501;

    public bool IsQuick { get; init; }

    public void Validate()
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(Customers, 1);
        ArgumentOutOfRangeException.ThrowIfNegative(Orders);
        ArgumentOutOfRangeException.ThrowIfNegative(WarmUpCalls);
        ArgumentOutOfRangeException.ThrowIfLessThan(TimedCalls, 1);
    }
}
