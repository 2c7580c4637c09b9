using System.CommandLine;
using XenoCrm.Core.Data;
using XenoCrm.Web.ApiKeys;
using XenoCrm.Web.DeadLetters;

namespace XenoCrm.Web.Operations;

/// <summary>
/// The operator commands that the Web executable runs instead of serving: <c>migrate</c>, <c>api-keys …</c>,
/// <c>dead-letters …</c> and <c>seed …</c> (System.CommandLine: <c>XenoCrm.Web api-keys --help</c>). They run in
/// the host the server would build, so they act on the database and broker it would use.
/// </summary>
internal sealed class OperatorCommandLine
{
    /// <summary>The exit code of a command line the commands do not accept (their usage is printed on stderr).</summary>
    public const int UsageError = 2;

    private static readonly string[] Names = ["migrate", ApiKeysCommand.Name, DeadLettersCommand.Name, SeedCommand.Name];

    private readonly ParseResult? _parseResult;
    private readonly OperatorHost _host;

    private OperatorCommandLine(ParseResult? parseResult, OperatorHost host, string[] hostArgs)
    {
        _parseResult = parseResult;
        _host = host;
        HostArgs = hostArgs;
    }

    /// <summary>True when the arguments name a command; otherwise the process serves.</summary>
    public bool IsGiven => _parseResult is not null;

    /// <summary>
    /// What the host is built with: the arguments no command claims (<c>--ConnectionStrings:Crm …</c>, as for the
    /// server) and, for a command, logs on stderr, because its stdout is its result (an API key, a list).
    /// </summary>
    public string[] HostArgs { get; }

    public static OperatorCommandLine Parse(string[] args)
    {
        var host = new OperatorHost();
        if (args.Length == 0 || !Names.Contains(args[0]))
        {
            return new OperatorCommandLine(null, host, args);
        }
        var root = new RootCommand("XenoCrm.Web's operator commands; without one, XenoCrm.Web serves.")
        {
            MigrateCommand(host),
            ApiKeysCommand.Create(host),
            DeadLettersCommand.Create(host),
            SeedCommand.Create(host),
        };
        LeaveUnmatchedTokensToTheHost(root);
        var parseResult = root.Parse(args);
        return new OperatorCommandLine(parseResult, host,
            [.. parseResult.UnmatchedTokens, "--Logging:Console:LogToStandardErrorThreshold=Trace"]);
    }

    /// <summary>Runs the command in the built host; a command line it does not accept gets its errors and usage on stderr.</summary>
    public async Task<int> RunAsync(IServiceProvider services)
    {
        var parseResult = _parseResult ?? throw new InvalidOperationException("No operator command was given.");
        _host.Attach(services);
        if (parseResult.Errors.Count > 0)
        {
            await parseResult.InvokeAsync(new InvocationConfiguration { Output = Console.Error });
            return UsageError;
        }
        return await parseResult.InvokeAsync();
    }

    private static Command MigrateCommand(OperatorHost host)
    {
        var migrate = new Command("migrate", "Applies the pending migrations to the CRM database, then exits.");
        migrate.SetAction(async (_, ct) =>
        {
            await host.MigratedServicesAsync(ct);
            await Console.Error.WriteLineAsync("The database is up to date.");
            return 0;
        });
        return migrate;
    }

    private static void LeaveUnmatchedTokensToTheHost(Command command)
    {
        command.TreatUnmatchedTokensAsErrors = false;
        foreach (var subcommand in command.Subcommands)
        {
            LeaveUnmatchedTokensToTheHost(subcommand);
        }
    }
}

/// <summary>The built host's services, which the commands are parsed before and run in.</summary>
internal sealed class OperatorHost
{
    private IServiceProvider? _services;

    public void Attach(IServiceProvider services) => _services = services;

    /// <summary>The services, once the database is migrated: every command acts on the schema the server would.</summary>
    public async Task<IServiceProvider> MigratedServicesAsync(CancellationToken ct)
    {
        var services = _services ?? throw new InvalidOperationException("The host is not built yet.");
        await services.MigrateCrmDatabaseAsync(ct);
        return services;
    }
}
