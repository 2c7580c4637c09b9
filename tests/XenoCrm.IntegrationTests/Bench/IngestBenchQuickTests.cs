using XenoCrm.Bench;
using Xunit.Abstractions;

namespace XenoCrm.IntegrationTests.Bench;

/// <summary>
/// Runs the quick ingest scenario to keep the benchmark working. It asserts what the run stored
/// and that it produced its table, never how fast: rates are measured by the bench, not tested.
/// </summary>
public sealed class IngestBenchQuickTests(ITestOutputHelper output)
{
    [Fact]
    public async Task RunAsync_CommitsEveryRecordWithConsistentAggregates_InQuickScenario()
    {
        var log = new StringWriter();
        IngestReport report;
        try
        {
            report = await IngestBenchmark.RunAsync(IngestSettings.Quick, log, CancellationToken.None);
        }
        finally
        {
            output.WriteLine(log.ToString());
        }

        var settings = IngestSettings.Quick;
        Assert.Equal(
            (settings.Customers, settings.Orders, settings.SingleRequests, settings.BaselineOrders),
            (report.Batch.Consistency.Customers, report.Batch.Consistency.Orders, report.SingleRecords.Consistency.Orders, report.Baseline.Consistency.Orders));
        Assert.True(report.AllRowsCommitted, "Rows are missing or were dead-lettered.");
        Assert.True(report.AggregatesConsistent, "Customer aggregates differ from their orders.");
        Assert.Equal(settings.Orders, report.Raw.Rows);
        var markdown = report.ToMarkdown();
        output.WriteLine(markdown);
        Assert.Contains("| Batch endpoint, orders end to end |", markdown, StringComparison.Ordinal);
        Assert.Contains("| Batch ÷ baseline |", markdown, StringComparison.Ordinal);
    }
}
