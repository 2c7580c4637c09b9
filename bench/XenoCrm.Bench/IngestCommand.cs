using System.CommandLine;
using System.CommandLine.Parsing;

namespace XenoCrm.Bench;

/// <summary><c>ingest [--customers N] [--orders M] [--single K] [--baseline B] [--quick] [--out DIR]</c>: runs <see cref="IngestBenchmark"/> and writes its table.</summary>
internal static class IngestCommand
{
    private static readonly Option<bool> _quick = BenchCommandLine.Quick();
    private static readonly Option<string> _out = BenchCommandLine.Out();
    private static readonly Option<int?> _customers = BenchCommandLine.Size<int>("--customers", "Customers sent before the orders.");
    private static readonly Option<int?> _orders = BenchCommandLine.Size<int>("--orders",
        "Orders sent to the batch endpoint; the single-record and baseline phases follow it (at most as many, a fifth) unless given.");
    private static readonly Option<int?> _single = BenchCommandLine.Size<int>("--single", "Orders sent one per request.");
    private static readonly Option<int?> _baseline = BenchCommandLine.Size<int>("--baseline", "Orders sent to Workers run with a batch size of 1.");

    public static Command Create()
    {
        var command = new Command("ingest", "The ingestion pipeline against its batch-size-1 baseline and a raw bulk load.")
        {
            _customers, _orders, _single, _baseline, _quick, _out,
        };
        BenchCommandLine.ValidateWith(command, result => Settings(result).Validate());
        command.SetAction(parseResult =>
        {
            var settings = Settings(parseResult.CommandResult);
            return BenchRun.RunAsync("ingest", settings.IsQuick, Path.GetFullPath(parseResult.GetRequiredValue(_out)),
                ct => IngestBenchmark.RunAsync(settings, Console.Out, ct),
                report => (report.StartedAt, report.ToMarkdown()),
                report => report.AllRowsCommitted && report.AggregatesConsistent ? null : "Rows are missing or aggregates disagree with the orders (see the table).");
        });
        return command;
    }

    private static IngestSettings Settings(CommandResult result)
    {
        var settings = result.GetValue(_quick) ? IngestSettings.Quick : IngestSettings.Full;
        if (result.GetValue(_customers) is { } customers)
        {
            settings = settings with { Customers = customers };
        }
        if (result.GetValue(_orders) is { } orders)
        {
            settings = settings with { Orders = orders, SingleRequests = Math.Min(settings.SingleRequests, orders), BaselineOrders = Math.Max(1, orders / 5) };
        }
        if (result.GetValue(_single) is { } single)
        {
            settings = settings with { SingleRequests = single };
        }
        if (result.GetValue(_baseline) is { } baseline)
        {
            settings = settings with { BaselineOrders = baseline };
        }
        return settings;
    }
}
