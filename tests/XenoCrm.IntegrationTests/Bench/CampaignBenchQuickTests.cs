using XenoCrm.Bench;
using Xunit.Abstractions;

namespace XenoCrm.IntegrationTests.Bench;

/// <summary>
/// Runs the quick campaign scenario to keep the benchmark working. It asserts that every recipient of both sends ended
/// Sent or Failed exactly as counted, that Delivery accepted each once, and that the run produced its tables, never how
/// fast: rates and memory are measured by the bench.
/// </summary>
public sealed class CampaignBenchQuickTests(ITestOutputHelper output)
{
    [Fact]
    public async Task RunAsync_EveryRecipientTerminalWithMatchingCounters_InQuickScenario()
    {
        var log = new StringWriter();
        CampaignReport report;
        try
        {
            report = await CampaignBenchmark.RunAsync(CampaignSettings.Quick, log, CancellationToken.None);
        }
        finally
        {
            output.WriteLine(log.ToString());
        }

        var markdown = report.ToMarkdown();
        output.WriteLine(markdown);
        var settings = CampaignSettings.Quick;
        Assert.Equal((settings.Recipients, settings.BaselineRecipients), (report.Send.Recipients, report.Baseline.Recipients));
        Assert.Equal(1, report.Baseline.ChunkSize);
        foreach (var checks in new[] { report.Send.Checks, report.Baseline.Checks })
        {
            Assert.Equal((checks.Recipients, checks.Recipients), (checks.LogRows, checks.DeliveryAccepted));
            Assert.True(checks.AllPassed, $"A check failed: {checks}");
            // Delivery fails about one message in ten: a send with no failures (or no successes) did not go through it.
            Assert.True(checks.SentRows > 0 && checks.FailedRows > 0, $"Expected both outcomes: {checks}");
        }

        Assert.Equal("Web, Workers 1, Workers 2, Delivery", string.Join(", ", report.Send.Processes.Select(p => p.Process)));
        Assert.All(report.Send.Processes, p => Assert.True(p.PeakRssBytes > 0 && p.CpuSeconds > 0, $"No RSS or CPU time sampled for {p.Process}: {p}."));
        Assert.Contains("| Send ÷ baseline, per message |", markdown, StringComparison.Ordinal);
        Assert.Contains("| Workers 2 |", markdown, StringComparison.Ordinal);
        Assert.Contains("| Delivery accepted = audience |", markdown, StringComparison.Ordinal);
    }
}
