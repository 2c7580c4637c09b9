using XenoCrm.Core.Data;
using XenoCrm.Web.ApiKeys;
using XenoCrm.Web.DeadLetters;

namespace XenoCrm.Web.Operations;

/// <summary>
/// The operator commands that the Web executable runs instead of serving:
/// <c>migrate</c>, <c>api-keys …</c> and <c>dead-letters …</c>. They use the same configuration
/// as the server, so they act on the database and broker it would use.
/// </summary>
internal static class OperatorCommand
{
    private static readonly string[] Names = ["migrate", "api-keys", "dead-letters"];

    /// <summary>Separates a command (and its words) from the host's own <c>--key value</c> arguments.</summary>
    public static (string[]? Command, string[] HostArgs) Split(string[] args)
    {
        if (args.Length == 0 || !Names.Contains(args[0]))
        {
            return (null, args);
        }
        var firstOption = Array.FindIndex(args, a => a.StartsWith("--", StringComparison.Ordinal));
        return firstOption < 0 ? (args, []) : (args[..firstOption], args[firstOption..]);
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
