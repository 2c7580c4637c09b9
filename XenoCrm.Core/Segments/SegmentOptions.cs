using System.ComponentModel.DataAnnotations;

namespace XenoCrm.Core.Segments;

/// <summary>
/// Section <c>Segments</c>:
/// <code>{ "Segments": { "MaxDepth": 5, "MaxRules": 50 } }</code>
/// </summary>
public sealed class SegmentOptions
{
    public const string Section = "Segments";

    /// <summary>How deep groups may nest in a tree a user saves or previews.</summary>
    [Range(1, SegmentLimits.StoredMaxDepth)]
    public int MaxDepth { get; set; } = SegmentLimits.Default.MaxDepth;

    /// <summary>How many rules one tree may hold.</summary>
    [Range(1, SegmentLimits.StoredMaxRules)]
    public int MaxRules { get; set; } = SegmentLimits.Default.MaxRules;

    public SegmentLimits Limits => SegmentLimits.Default with { MaxDepth = MaxDepth, MaxRules = MaxRules };
}
