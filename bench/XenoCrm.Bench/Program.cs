using System.Globalization;
using XenoCrm.Bench;
using XenoCrm.TestServers;

const string Usage = "usage: XenoCrm.Bench ingest [--customers N] [--orders M] [--single K] [--baseline B] [--quick] [--out DIR]";

if (args is ["segment", .. var segmentOptions])
{
    return await SegmentCommand.RunAsync(segmentOptions);
}

if (args is ["campaign", .. var campaignOptions])
{
    return await CampaignCommand.RunAsync(campaignOptions);
}

if (args is not ["ingest", .. var options])
{
    Console.Error.WriteLine($"{Usage}\n{SegmentCommand.Usage}\n{CampaignCommand.Usage}");
    return 2;
}

var settings = IngestSettings.Full;
var outputDirectory = Path.Combine(RepoPaths.Root, "bench", "results");
try
{
    // --quick first, so that explicit sizes given with it still win.
    if (options.Contains("--quick"))
    {
        settings = IngestSettings.Quick;
    }

    for (var i = 0; i < options.Length; i++)
    {
        var option = options[i];
        string Value() => i + 1 < options.Length ? options[++i] : throw new FormatException($"{option} needs a value.");
        int Number() => int.Parse(Value(), NumberStyles.AllowThousands, CultureInfo.InvariantCulture);
        switch (option)
        {
            case "--quick":
                break;
            case "--customers":
                settings = settings with { Customers = Number() };
                break;
            case "--orders":
                // The other phases' sizes follow the order count unless given after it.
                var orders = Number();
                settings = settings with { Orders = orders, SingleRequests = Math.Min(settings.SingleRequests, orders), BaselineOrders = Math.Max(1, orders / 5) };
                break;
            case "--single":
                settings = settings with { SingleRequests = Number() };
                break;
            case "--baseline":
                settings = settings with { BaselineOrders = Number() };
                break;
            case "--out":
                outputDirectory = Path.GetFullPath(Value());
                break;
            default:
                throw new FormatException($"Unknown option {option}.");
        }
    }

    settings.Validate();
}
catch (Exception ex) when (ex is FormatException or ArgumentException)
{
    Console.Error.WriteLine($"{ex.Message}\n{Usage}");
    return 2;
}

using var cancellation = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) =>
{
    // Let the run unwind so that every server and app it started is torn down.
    e.Cancel = true;
    cancellation.Cancel();
};

IngestReport report;
try
{
    report = await IngestBenchmark.RunAsync(settings, Console.Out, cancellation.Token);
}
catch (Exception) when (cancellation.IsCancellationRequested)
{
    // Ctrl+C reaches the apps too, so a cancelled run may also fail in other ways than OperationCanceledException.
    Console.Error.WriteLine("Cancelled; every server and app the run started is stopped.");
    return 130;
}
catch (Exception ex)
{
    Console.Error.WriteLine($"The ingest benchmark failed: {ex}");
    return 1;
}

var markdown = report.ToMarkdown();
Directory.CreateDirectory(outputDirectory);
var file = Path.Combine(outputDirectory, $"ingest-{report.StartedAt:yyyyMMdd-HHmmss}{(settings.IsQuick ? "-quick" : "")}.md");
await File.WriteAllTextAsync(file, markdown);
Console.WriteLine();
Console.WriteLine(markdown);
Console.WriteLine($"Written to {file}");
return report.AllRowsCommitted && report.AggregatesConsistent ? 0 : 1;
