using Microsoft.EntityFrameworkCore;
using XenoCrm.Core.Data;
using XenoCrm.Web.Operations;
using XenoCrm.ServiceDefaults.Messaging;

namespace XenoCrm.Web.DeadLetters;

/// <summary><c>dead-letters list | replay ID | replay --all</c>.</summary>
internal static class DeadLettersCommand
{
    private const string Usage = "Usage: dead-letters list | dead-letters replay ID | dead-letters replay all";

    public static async Task<int> RunAsync(string[] args, IServiceProvider services)
    {
        await using var scope = services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<CrmDbContext>();
        switch (args)
        {
            case ["list"]:
                foreach (var d in await db.DeadLetters.AsNoTracking().OrderBy(d => d.Id).ToListAsync())
                {
                    Console.WriteLine($"{d.Id}\t{d.CreatedAt:u}\t{d.Topic}\tattempts {d.Attempts}\t{d.Reason}");
                    Console.WriteLine($"\t{(d.Body.Length > 500 ? d.Body[..500] + "…" : d.Body)}");
                }
                return 0;
            case ["replay", var which] when which == "all" || long.TryParse(which, out _):
                if (scope.ServiceProvider.GetRequiredService<IConfiguration>().UsesInProcessBus())
                {
                    await Console.Error.WriteLineAsync("The embedded mode's bus lives inside the running XenoCrm.Web process; replay from there, not from a separate command.");
                    return 1;
                }
                var replayer = new DeadLetterReplayer(db, scope.ServiceProvider.GetRequiredService<IMessageTransport>());
                var replayed = which == "all" ? await replayer.ReplayAllAsync(CancellationToken.None) : await replayer.ReplayAsync(long.Parse(which, System.Globalization.CultureInfo.InvariantCulture), CancellationToken.None) ? 1 : 0;
                await Console.Error.WriteLineAsync($"Replayed {replayed} dead letter(s).");
                return replayed > 0 || which == "all" ? 0 : 1;
            default:
                throw new CommandUsageException(Usage);
        }
    }
}
