using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;
using System.Numerics;
using XenoCrm.TestServers;

namespace XenoCrm.Bench;

/// <summary>What the three scenarios' command lines share: the <c>--quick</c> and <c>--out</c> options, sizes, and exit codes.</summary>
internal static class BenchCommandLine
{
    /// <summary>The exit code of a command line the bench does not accept (its errors and usage are printed on stderr).</summary>
    public const int UsageError = 2;

    public static Option<bool> Quick() => new("--quick")
    {
        Description = "The small run that checks the scenario works; sizes given beside it still win.",
    };

    public static Option<string> Out() => new("--out")
    {
        Description = "The folder the table is written to.",
        DefaultValueFactory = _ => Path.Combine(RepoPaths.Root, "bench", "results"),
    };

    /// <summary>A size, written <c>1000000</c> or <c>1,000,000</c>; null when not given, so that the scenario's default applies.</summary>
    public static Option<T?> Size<T>(string name, string description) where T : struct, INumber<T> => new(name)
    {
        Description = description,
        CustomParser = result => T.TryParse(result.Tokens[0].Value, NumberStyles.AllowThousands, CultureInfo.InvariantCulture, out var value)
            ? value
            : Refuse<T>(result, $"{name} needs a whole number, not '{result.Tokens[0].Value}'."),
    };

    /// <summary>Reports what the settings' own validation refuses (a size below 1, a baseline above the total) as a parse error.</summary>
    public static void ValidateWith(Command command, Action<CommandResult> validate) => command.Validators.Add(result =>
    {
        try
        {
            validate(result);
        }
        catch (ArgumentException ex)
        {
            result.AddError(ex.Message);
        }
        catch (InvalidOperationException)
        {
            // A size that did not parse: its option has reported that already, and there are no settings to check.
        }
    });

    /// <summary>Runs the scenario the arguments name; Ctrl+C is left to <see cref="BenchRun"/>, which tears the servers down.</summary>
    public static async Task<int> InvokeAsync(RootCommand root, string[] args)
    {
        var parseResult = root.Parse(args);
        if (parseResult.Errors.Count > 0)
        {
            await parseResult.InvokeAsync(new InvocationConfiguration { Output = Console.Error });
            return UsageError;
        }
        return await parseResult.InvokeAsync(new InvocationConfiguration { ProcessTerminationTimeout = null });
    }

    private static T? Refuse<T>(ArgumentResult result, string error) where T : struct
    {
        result.AddError(error);
        return null;
    }
}
