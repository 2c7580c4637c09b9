using System.CommandLine;
using System.CommandLine.Parsing;

namespace XenoCrm.Bench;

/// <summary><c>segment [--customers N] [--orders M] [--calls K] [--quick] [--out DIR]</c>: runs <see cref="SegmentBenchmark"/> and writes its table.</summary>
internal static class SegmentCommand
{
    private static readonly Option<bool> _quick = BenchCommandLine.Quick();
    private static readonly Option<string> _out = BenchCommandLine.Out();
    private static readonly Option<int?> _customers = BenchCommandLine.Size<int>("--customers", "Customers seeded; five orders each unless --orders is given.");
    private static readonly Option<long?> _orders = BenchCommandLine.Size<long>("--orders", "Orders seeded.");
    private static readonly Option<int?> _calls = BenchCommandLine.Size<int>("--calls", "Timed calls per tree and per path.");

    public static Command Create()
    {
        var command = new Command("segment", "Segment previews over seeded customers against the same counts written by hand in SQL.")
        {
            _customers, _orders, _calls, _quick, _out,
        };
        BenchCommandLine.ValidateWith(command, result => Settings(result).Validate());
        command.SetAction(parseResult =>
        {
            var settings = Settings(parseResult.CommandResult);
            return BenchRun.RunAsync("segment", settings.IsQuick, Path.GetFullPath(parseResult.GetRequiredValue(_out)),
                ct => SegmentBenchmark.RunAsync(settings, Console.Out, ct),
                report => (report.StartedAt, report.ToMarkdown()),
                report => report.AllCountsMatch ? null : "Preview and hand-written SQL disagree on the count of at least one tree (see the table).");
        });
        return command;
    }

    private static SegmentSettings Settings(CommandResult result)
    {
        var settings = result.GetValue(_quick) ? SegmentSettings.Quick : SegmentSettings.Full;
        if (result.GetValue(_customers) is { } customers)
        {
            // Five orders per customer, as in the full run, unless --orders says otherwise.
            settings = settings with { Customers = customers, Orders = 5L * customers };
        }
        if (result.GetValue(_orders) is { } orders)
        {
            settings = settings with { Orders = orders };
        }
        if (result.GetValue(_calls) is { } calls)
        {
            settings = settings with { TimedCalls = calls };
        }
        return settings;
    }
}
