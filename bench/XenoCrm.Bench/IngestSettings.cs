namespace XenoCrm.Bench;

/// <summary>The sizes of an ingest run. The defaults are the full run; <see cref="Quick"/> checks that the scenario works.</summary>
public sealed record IngestSettings
{
    public static IngestSettings Full { get; } = new();

    public static IngestSettings Quick { get; } = new()
    {
        Customers = 1_000,
        Orders = 5_000,
        SingleRequests = 1_000,
        BaselineOrders = 1_000,
        IsQuick = true,
    };

    public int Customers { get; init; } = 20_000;

    public int Orders { get; init; } = 100_000;

    /// <summary>Orders sent one per request in the single-records phase (the first ones of <see cref="Orders"/>).</summary>
    public int SingleRequests { get; init; } = 20_000;

    /// <summary>Orders sent to Workers run with <c>Ingestion__BatchSize=1</c> (the first ones of <see cref="Orders"/>).</summary>
    public int BaselineOrders { get; init; } = 20_000;

    /// <summary>Records per request on the batch endpoint (the API takes at most 1,000).</summary>
    public int RecordsPerRequest { get; init; } = 1_000;

    public int BatchConcurrency { get; init; } = 6;

    public int SingleConcurrency { get; init; } = 32;

    public string BufferPoolSize { get; init; } = "1G";

    public int Seed { get; init; } = 20_240_501;

    public bool IsQuick { get; init; }

    public void Validate()
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(Customers, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(Orders, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(SingleRequests, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(SingleRequests, Orders);
        ArgumentOutOfRangeException.ThrowIfLessThan(BaselineOrders, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(BaselineOrders, Orders);
        ArgumentOutOfRangeException.ThrowIfLessThan(RecordsPerRequest, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(RecordsPerRequest, 1_000);
        ArgumentOutOfRangeException.ThrowIfLessThan(BatchConcurrency, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(SingleConcurrency, 1);
    }
}
