using XenoCrm.Core.Data;
using XenoCrm.Web.ApiKeys;
using XenoCrm.Web.DeadLetters;

namespace XenoCrm.Web.Operations;

/// <summary>
/// The operator commands that the Web executable runs instead of serving:
/// <c>migrate</c>, <c>api-keys …</c>, <c>dead-letters …</c> and <c>seed …</c>. They use the same configuration
/// as the server, so they act on the database and broker it would use.
/// </summary>
internal static class OperatorCommand
{
    private static readonly string[] Names = ["migrate", "api-keys", "dead-letters", "seed"];

    /// <summary>Separates a command (and its words) from the host's own <c>--key value</c> arguments.</summary>
    public static (string[]? Command, string[] HostArgs) Split(string[] args)
    {
        if (args.Length == 0 || !Names.Contains(args[0]))
        {
            return (null, args);
        }
        if (args[0] == "seed")
        {
            return SplitSeed(args);
        }
        var firstOption = Array.FindIndex(args, a => a.StartsWith("--", StringComparison.Ordinal));
        return firstOption < 0 ? (args, []) : (args[..firstOption], args[firstOption..]);
    }

    /// <summary><c>seed</c> takes its own <c>--options</c>; any other option is the host's (<c>--ConnectionStrings:Crm …</c>).</summary>
    private static (string[] Command, string[] HostArgs) SplitSeed(string[] args)
    {
        List<string> command = [args[0]];
        List<string> host = [];
        for (var i = 1; i < args.Length; i++)
        {
            if (SeedCommand.Flags.Contains(args[i]))
            {
                command.Add(args[i]);
            }
            else if (SeedCommand.ValueOptions.Contains(args[i]))
            {
                command.Add(args[i]);
                if (i + 1 < args.Length)
                {
                    command.Add(args[++i]);
                }
            }
            else
            {
                host.Add(args[i]);
            }
        }
        return ([.. command], [.. host]);
    }

    public static async Task<int> RunAsync(string[] command, IServiceProvider services)
    {
        try
        {
            switch (command)
            {
                case ["migrate"]:
                    await services.MigrateCrmDatabaseAsync();
                    await Console.Error.WriteLineAsync("The database is up to date.");
                    return 0;
                case ["api-keys", .. var rest]:
                    await services.MigrateCrmDatabaseAsync();
                    return await ApiKeysCommand.RunAsync(rest, services);
                case ["dead-letters", .. var rest]:
                    await services.MigrateCrmDatabaseAsync();
                    return await DeadLettersCommand.RunAsync(rest, services);
                case ["seed", .. var rest]:
                    await services.MigrateCrmDatabaseAsync();
                    return await SeedCommand.RunAsync(rest, services);
            }
        }
        catch (CommandUsageException ex)
        {
            await Console.Error.WriteLineAsync(ex.Message);
            return 2;
        }
        await Console.Error.WriteLineAsync($"Unknown command: {string.Join(' ', command)}");
        return 2;
    }
}

internal sealed class CommandUsageException(string message) : Exception(message);
