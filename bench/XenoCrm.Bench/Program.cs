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

return await BenchRun.RunAsync("ingest", settings.IsQuick, outputDirectory,
    ct => IngestBenchmark.RunAsync(settings, Console.Out, ct),
    report => (report.StartedAt, report.ToMarkdown()),
    report => report.AllRowsCommitted && report.AggregatesConsistent ? null : "Rows are missing or aggregates disagree with the orders (see the table).");
