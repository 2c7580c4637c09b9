namespace XenoCrm.Core.Tests.Segments;

/// <summary>Rule trees more than one test reads.</summary>
internal static class SegmentExamples
{
    /// <summary>
    /// The design's example: big recent spenders, or anyone but a Pune customer with fewer than two orders
    /// (a negated group inside an or).
    /// </summary>
    public const string Design = """
        { "op": "or", "rules": [
            { "op": "and", "rules": [
                { "field": "total_spend",   "operator": "gt",           "value": 10000 },
                { "field": "last_order_at", "operator": "in_last_days", "value": 90 } ] },
            { "op": "and", "not": true, "rules": [
                { "field": "city",        "operator": "equals", "value": "Pune" },
                { "field": "order_count", "operator": "lt",     "value": 2 } ] } ] }
        """;
}
