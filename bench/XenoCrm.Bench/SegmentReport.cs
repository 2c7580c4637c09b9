using System.Globalization;
using System.Text;

namespace XenoCrm.Bench;

/// <summary>One tree's counts by both paths and the latencies of their timed calls.</summary>
public sealed record TreeResult(
    SegmentTree Tree, long PreviewCount, long SqlCount, IReadOnlyList<double> PreviewMilliseconds, IReadOnlyList<double> SqlMilliseconds)
{
    public bool CountsMatch => PreviewCount == SqlCount;

    public double PreviewP50 => Percentile(PreviewMilliseconds, 50);

    public double PreviewP95 => Percentile(PreviewMilliseconds, 95);

    public double SqlP50 => Percentile(SqlMilliseconds, 50);

    public double SqlP95 => Percentile(SqlMilliseconds, 95);

    /// <summary>Preview p95 ÷ hand-written SQL p95.</summary>
    public double Ratio => PreviewP95 / Math.Max(SqlP95, 1e-6);

    /// <summary>Nearest-rank percentile, as <see cref="LoadResult"/> takes it.</summary>
    private static double Percentile(IReadOnlyList<double> values, double percent)
    {
        var sorted = values.Order().ToArray();
        var rank = (int)Math.Ceiling(percent / 100 * sorted.Length);
        return sorted[Math.Clamp(rank - 1, 0, sorted.Length - 1)];
    }
}

public sealed record SegmentReport(
    SegmentSettings Settings,
    DateTimeOffset StartedAt,
    string Machine,
    long Customers,
    TimeSpan Seeding,
    IReadOnlyList<TreeResult> Trees,
    long WebPeakRssBytes)
{
    public const double P95TargetMilliseconds = 300;
    public const double RatioTarget = 1.5;
    private const long Megabyte = 1024 * 1024;

    public bool AllCountsMatch => Trees.All(t => t.CountsMatch);

    /// <summary>The markdown table of the run, with the service levels of <see cref="P95TargetMilliseconds"/> and <see cref="RatioTarget"/> beside each tree, and the trees themselves.</summary>
    public string ToMarkdown()
    {
        var s = Settings;
        var md = new StringBuilder();
        md.Append(CultureInfo.InvariantCulture, $"# Segment preview benchmark{(s.IsQuick ? " (quick)" : "")}, {StartedAt:yyyy-MM-dd HH:mm} UTC\n\n");
        md.Append(CultureInfo.InvariantCulture,
            $"{Count(Customers)} customers and {Count(s.Orders)} orders from `seed --seed {s.Seed}` ({Seconds(Seeding)}). ");
        md.Append(CultureInfo.InvariantCulture,
            $"Per tree {s.WarmUpCalls} warm-up calls, then {s.TimedCalls} timed calls of `POST /api/v1/segments/preview` (count and a 10-customer sample) ");
        md.Append("and of the hand-written `SELECT COUNT(*)` on one MySqlConnector connection, in turns, one at a time. ");
        md.Append(CultureInfo.InvariantCulture, $"{Machine}.\n\n");
        if (s.IsQuick)
        {
            md.Append("A quick run checks that the scenario works and that the counts agree; its latencies mean little.\n\n");
        }

        md.Append("| tree | count | preview p50 | preview p95 | SQL p50 | SQL p95 | preview p95 ÷ SQL p95 | p95 ≤ 300 ms | ≤ 1.5× SQL |\n");
        md.Append("|---|--:|--:|--:|--:|--:|--:|---|---|\n");
        foreach (var t in Trees)
        {
            var count = t.CountsMatch ? Count(t.PreviewCount) : $"**preview {Count(t.PreviewCount)} ≠ SQL {Count(t.SqlCount)}**";
            md.Append(CultureInfo.InvariantCulture,
                $"| {t.Tree.Name} | {count} | {Ms(t.PreviewP50)} | {Ms(t.PreviewP95)} | {Ms(t.SqlP50)} | {Ms(t.SqlP95)} | " +
                $"{t.Ratio.ToString("0.00", CultureInfo.InvariantCulture)}× | {Met(t.PreviewP95 <= P95TargetMilliseconds)} | {Met(t.Ratio <= RatioTarget)} |\n");
        }

        md.Append(CultureInfo.InvariantCulture, $"\nCounts: {(AllCountsMatch ? "every tree's preview count equals its hand-written SQL count" : "**MISMATCH** (see the table)")}. ");
        md.Append(CultureInfo.InvariantCulture, $"Peak RSS of Web: {(WebPeakRssBytes / (double)Megabyte).ToString("0", CultureInfo.InvariantCulture)} MB.\n\n");
        md.Append("## Trees\n\n");
        foreach (var t in Trees)
        {
            md.Append(CultureInfo.InvariantCulture, $"**{t.Tree.Name}**\n\n```json\n{t.Tree.Rules.ToJsonString()}\n```\n\n```sql\n{t.Tree.Sql.Trim()}\n```\n\n");
        }

        return md.ToString();
    }

    private static string Met(bool met) => met ? "yes" : "**no**";

    private static string Count(long value) => value.ToString("N0", CultureInfo.InvariantCulture);

    private static string Seconds(TimeSpan elapsed) => $"{elapsed.TotalSeconds.ToString("0.0", CultureInfo.InvariantCulture)} s";

    private static string Ms(double value) => $"{value.ToString("0.0", CultureInfo.InvariantCulture)} ms";
}
