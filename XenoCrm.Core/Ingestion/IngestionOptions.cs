using System.ComponentModel.DataAnnotations;

namespace XenoCrm.Core.Ingestion;

/// <summary>
/// Section <c>Ingestion</c>:
/// <code>{ "Ingestion": { "BatchSize": 1000, "Prefetch": 50, "ConsumersPerQueue": 2 } }</code>
/// </summary>
public sealed class IngestionOptions
{
    public const string Section = "Ingestion";

    /// <summary>Records written per database transaction (1 gives the naive baseline the bench compares against).</summary>
    [Range(1, 5000)]
    public int BatchSize { get; set; } = 1000;

    /// <summary>Unacknowledged messages a consumer holds; one message is one API request.</summary>
    [Range(1, 1000)]
    public ushort Prefetch { get; set; } = 50;

    /// <summary>
    /// Batches a process stores at once per queue: while one waits on the database, the next is
    /// parsed and sent. SQLite takes one writer at a time, so the embedded mode uses one.
    /// </summary>
    [Range(1, 16)]
    public int ConsumersPerQueue { get; set; } = 2;
}
