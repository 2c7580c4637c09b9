using XenoCrm.Bench;
using Xunit.Abstractions;

namespace XenoCrm.IntegrationTests.Bench;

/// <summary>
/// Runs the quick segment scenario to keep the benchmark working. It asserts that every tree's preview count equals
/// the hand-written SQL count and that the run produced its table, never how fast: latencies are measured by the bench.
/// </summary>
public sealed class SegmentBenchQuickTests(ITestOutputHelper output)
{
    [Fact]
    public async Task RunAsync_PreviewCountsEqualHandWrittenSql_InQuickScenario()
    {
        var log = new StringWriter();
        SegmentReport report;
        try
        {
            report = await SegmentBenchmark.RunAsync(SegmentSettings.Quick, log, CancellationToken.None);
        }
        finally
        {
            output.WriteLine(log.ToString());
        }

        var markdown = report.ToMarkdown();
        output.WriteLine(markdown);
        Assert.Equal(SegmentSettings.Quick.Customers, report.Customers);
        Assert.True(report.Trees.Count >= 6, $"Only {report.Trees.Count} trees were measured.");
        Assert.All(report.Trees, t => Assert.True(t.CountsMatch, $"{t.Tree.Name}: preview {t.PreviewCount}, SQL {t.SqlCount}"));
        // A tree that selects nobody (or everybody) would compare nothing worth comparing.
        Assert.All(report.Trees, t => Assert.InRange(t.SqlCount, 1, report.Customers - 1));
        Assert.All(report.Trees, t => Assert.Equal((SegmentSettings.Quick.TimedCalls, SegmentSettings.Quick.TimedCalls), (t.PreviewMilliseconds.Count, t.SqlMilliseconds.Count)));
        Assert.Contains("| tree | count | preview p50 | preview p95 | SQL p50 | SQL p95 |", markdown, StringComparison.Ordinal);
        Assert.All(report.Trees, t => Assert.Contains($"| {t.Tree.Name} | ", markdown, StringComparison.Ordinal));
    }
}
