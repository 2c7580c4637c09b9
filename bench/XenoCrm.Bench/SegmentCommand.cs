using System.Globalization;
using XenoCrm.TestServers;

namespace XenoCrm.Bench;

/// <summary><c>segment [--customers N] [--orders M] [--calls K] [--quick] [--out DIR]</c>: runs <see cref="SegmentBenchmark"/> and writes its table.</summary>
internal static class SegmentCommand
{
    public const string Usage = "usage: XenoCrm.Bench segment [--customers N] [--orders M] [--calls K] [--quick] [--out DIR]";

    public static async Task<int> RunAsync(string[] options)
    {
        var settings = SegmentSettings.Full;
        var outputDirectory = Path.Combine(RepoPaths.Root, "bench", "results");
        try
        {
            // --quick first, so that explicit sizes given with it still win.
            if (options.Contains("--quick"))
            {
                settings = SegmentSettings.Quick;
            }

            var ordersGiven = false;
            for (var i = 0; i < options.Length; i++)
            {
                var option = options[i];
                string Value() => i + 1 < options.Length ? options[++i] : throw new FormatException($"{option} needs a value.");
                long Number() => long.Parse(Value(), NumberStyles.AllowThousands, CultureInfo.InvariantCulture);
                switch (option)
                {
                    case "--quick":
                        break;
                    case "--customers":
                        var customers = checked((int)Number());
                        // Five orders per customer, as in DESIGN.md §6, unless --orders says otherwise.
                        settings = settings with { Customers = customers, Orders = ordersGiven ? settings.Orders : 5L * customers };
                        break;
                    case "--orders":
                        settings = settings with { Orders = Number() };
                        ordersGiven = true;
                        break;
                    case "--calls":
                        settings = settings with { TimedCalls = checked((int)Number()) };
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
        catch (Exception ex) when (ex is FormatException or ArgumentException or OverflowException)
        {
            await Console.Error.WriteLineAsync($"{ex.Message}\n{Usage}");
            return 2;
        }

        return await BenchRun.RunAsync("segment", settings.IsQuick, outputDirectory,
            ct => SegmentBenchmark.RunAsync(settings, Console.Out, ct),
            report => (report.StartedAt, report.ToMarkdown()),
            report => report.AllCountsMatch ? null : "Preview and hand-written SQL disagree on the count of at least one tree (see the table).");
    }
}
