using System.CommandLine;
using System.CommandLine.Parsing;

namespace XenoCrm.Bench;

/// <summary>
/// <c>campaign [--recipients N] [--baseline B] [--workers W] [--chunk-size C] [--quick] [--out DIR]</c>: runs
/// <see cref="CampaignBenchmark"/> and writes its table.
/// </summary>
internal static class CampaignCommand
{
    private static readonly Option<bool> _quick = BenchCommandLine.Quick();
    private static readonly Option<string> _out = BenchCommandLine.Out();
    private static readonly Option<int?> _recipients = BenchCommandLine.Size<int>("--recipients", "Customers seeded and sent to.");
    private static readonly Option<int?> _baseline = BenchCommandLine.Size<int>("--baseline", "The audience of the chunk-size-1 baseline.");
    private static readonly Option<int?> _workers = BenchCommandLine.Size<int>("--workers", "Workers processes.");
    private static readonly Option<int?> _chunkSize = BenchCommandLine.Size<int>("--chunk-size", "Recipients per chunk job (default: the product's).");

    public static Command Create()
    {
        var command = new Command("campaign", "A send through Web, Workers and Delivery until every recipient is terminal, against a chunk-size-1 baseline.")
        {
            _recipients, _baseline, _workers, _chunkSize, _quick, _out,
        };
        BenchCommandLine.ValidateWith(command, result => Settings(result).Validate());
        command.SetAction(parseResult =>
        {
            var settings = Settings(parseResult.CommandResult);
            return BenchRun.RunAsync("campaign", settings.IsQuick, Path.GetFullPath(parseResult.GetRequiredValue(_out)),
                ct => CampaignBenchmark.RunAsync(settings, Console.Out, ct),
                report => (report.StartedAt, report.ToMarkdown()),
                report => report.AllChecksPassed ? null : "At least one correctness check failed (see the table).",
                // A miss is a result, not a failure of the run: the table says so, and so does stderr.
                report => report.MissedTargets.Count > 0 ? $"Targets missed: {string.Join("; ", report.MissedTargets)}" : null);
        });
        return command;
    }

    private static CampaignSettings Settings(CommandResult result)
    {
        var settings = result.GetValue(_quick) ? CampaignSettings.Quick : CampaignSettings.Full;
        if (result.GetValue(_recipients) is { } recipients)
        {
            settings = settings with { Recipients = recipients };
        }
        if (result.GetValue(_baseline) is { } baseline)
        {
            settings = settings with { BaselineRecipients = baseline };
        }
        if (result.GetValue(_workers) is { } workers)
        {
            settings = settings with { Workers = workers };
        }
        if (result.GetValue(_chunkSize) is { } chunkSize)
        {
            settings = settings with { ChunkSize = chunkSize };
        }
        return settings;
    }
}
