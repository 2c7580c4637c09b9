namespace XenoCrm.Bench;

/// <summary>What every scenario does around its measurement: Ctrl+C handling, the markdown file, and the exit code.</summary>
internal static class BenchRun
{
    /// <param name="scenario">The scenario's name, first word of the file name.</param>
    /// <param name="failure">Why the run must exit 1 (a correctness check failed), or null.</param>
    /// <param name="notice">A line for stderr that does not fail the run (a missed target), or null.</param>
    public static async Task<int> RunAsync<TReport>(
        string scenario,
        bool quick,
        string outputDirectory,
        Func<CancellationToken, Task<TReport>> measure,
        Func<TReport, (DateTimeOffset StartedAt, string Markdown)> describe,
        Func<TReport, string?> failure,
        Func<TReport, string?>? notice = null)
    {
        if (BenchMachine.StaleBuild() is { } stale)
        {
            await Console.Error.WriteLineAsync(stale);
            return 2;
        }

        using var cancellation = new CancellationTokenSource();
        Console.CancelKeyPress += (_, e) =>
        {
            // Let the run unwind so that every server and app it started is torn down.
            e.Cancel = true;
            cancellation.Cancel();
        };

        TReport report;
        try
        {
            report = await measure(cancellation.Token);
        }
        catch (Exception) when (cancellation.IsCancellationRequested)
        {
            // Ctrl+C reaches the apps too, so a cancelled run may also fail in other ways than OperationCanceledException.
            await Console.Error.WriteLineAsync("Cancelled; every server and app the run started is stopped.");
            return 130;
        }
        catch (Exception ex)
        {
            await Console.Error.WriteLineAsync($"The {scenario} benchmark failed: {ex}");
            return 1;
        }

        var (startedAt, markdown) = describe(report);
        Directory.CreateDirectory(outputDirectory);
        var file = Path.Combine(outputDirectory, $"{scenario}-{startedAt:yyyyMMdd-HHmmss}{(quick ? "-quick" : "")}.md");
        await File.WriteAllTextAsync(file, markdown);
        Console.WriteLine();
        Console.WriteLine(markdown);
        Console.WriteLine($"Written to {file}");
        if (notice?.Invoke(report) is { } line)
        {
            await Console.Error.WriteLineAsync(line);
        }
        if (failure(report) is { } reason)
        {
            await Console.Error.WriteLineAsync(reason);
            return 1;
        }
        return 0;
    }
}
