using System.Globalization;
using XenoCrm.TestServers;

namespace XenoCrm.Bench;

/// <summary>
/// <c>campaign [--recipients N] [--baseline B] [--workers W] [--chunk-size C] [--quick] [--out DIR]</c>: runs
/// <see cref="CampaignBenchmark"/> and writes its table.
/// </summary>
internal static class CampaignCommand
{
    public const string Usage = "usage: XenoCrm.Bench campaign [--recipients N] [--baseline B] [--workers W] [--chunk-size C] [--quick] [--out DIR]";

    public static async Task<int> RunAsync(string[] options)
    {
        var settings = CampaignSettings.Full;
        var outputDirectory = Path.Combine(RepoPaths.Root, "bench", "results");
        try
        {
            // --quick first, so that explicit sizes given with it still win.
            if (options.Contains("--quick"))
            {
                settings = CampaignSettings.Quick;
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
                    case "--recipients":
                        settings = settings with { Recipients = Number() };
                        break;
                    case "--baseline":
                        settings = settings with { BaselineRecipients = Number() };
                        break;
                    case "--workers":
                        settings = settings with { Workers = Number() };
                        break;
                    case "--chunk-size":
                        settings = settings with { ChunkSize = Number() };
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

        return await BenchRun.RunAsync("campaign", settings.IsQuick, outputDirectory,
            ct => CampaignBenchmark.RunAsync(settings, Console.Out, ct),
            report => (report.StartedAt, report.ToMarkdown()),
            report => report.AllChecksPassed ? null : "At least one correctness check failed (see the table).",
            // A miss is a result, not a failure of the run: the table says so, and so does stderr.
            report => report.MissedTargets.Count > 0 ? $"Targets missed: {string.Join("; ", report.MissedTargets)}" : null);
    }
}
