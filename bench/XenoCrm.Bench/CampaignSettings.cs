namespace XenoCrm.Bench;

/// <summary>
/// The sizes of a campaign run. The defaults are the full run (1M recipients, two Workers, as in the service level it measures);
/// <see cref="Quick"/> runs the same code path on a small audience to check that the scenario works.
/// </summary>
public sealed record CampaignSettings
{
    public static CampaignSettings Full { get; } = new();

    public static CampaignSettings Quick { get; } = new()
    {
        Recipients = 20_000,
        BaselineRecipients = 300,
        IsQuick = true,
    };

    /// <summary>Customers seeded (with no orders) and sent to: the segment selects everyone.</summary>
    public int Recipients { get; init; } = 1_000_000;

    /// <summary>The audience of the naive baseline, sent with <c>Campaigns__ChunkSize=1</c> and compared per message.</summary>
    public int BaselineRecipients { get; init; } = 3_000;

    public int Workers { get; init; } = 2;

    /// <summary>Null: the product's default chunk size.</summary>
    public int? ChunkSize { get; init; }

    /// <summary>The seeded audience's first send touches every customer row, so the table should fit in memory as in production.</summary>
    public string BufferPoolSize { get; init; } = "2G";

    public int Seed { get; init; } = 20_240_501;

    public string Template { get; init; } = "Hi {{ customer.first_name | default: \"there\" }}, here's 10% off on your next order!";

    /// <summary>How long the send may go without any visible progress before the run fails with the apps' output.</summary>
    public TimeSpan StallTimeout { get; init; } = TimeSpan.FromSeconds(60);

    public bool IsQuick { get; init; }

    public void Validate()
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(Recipients, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(BaselineRecipients, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(Workers, 1);
        if (ChunkSize is { } chunkSize)
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(chunkSize, 1);
        }

        ArgumentException.ThrowIfNullOrWhiteSpace(Template);
    }
}
