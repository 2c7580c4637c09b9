using System.CommandLine;
using System.Globalization;
using Microsoft.EntityFrameworkCore;
using XenoCrm.Core.Audit;
using XenoCrm.Core.Data;
using XenoCrm.ServiceDefaults.Messaging;
using XenoCrm.Web.Operations;

namespace XenoCrm.Web.DeadLetters;

/// <summary><c>dead-letters list | replay ID | replay all</c>.</summary>
internal static class DeadLettersCommand
{
    public const string Name = "dead-letters";

    private const string All = "all";

    public static Command Create(OperatorHost host) => new(Name, "Lists the messages kept with their reason, and publishes them again.")
    {
        ListCommand(host),
        ReplayCommand(host),
    };

    private static Command ListCommand(OperatorHost host)
    {
        var list = new Command("list", "Lists every dead letter with its reason and the start of its body.");
        list.SetAction(async (_, ct) =>
        {
            await using var scope = (await host.MigratedServicesAsync(ct)).CreateAsyncScope();
            var db = scope.ServiceProvider.GetRequiredService<CrmDbContext>();
            foreach (var d in await db.DeadLetters.AsNoTracking().OrderBy(d => d.Id).ToListAsync(ct))
            {
                Console.WriteLine($"{d.Id}\t{d.CreatedAt:u}\t{d.Topic}\tattempts {d.Attempts}\t{d.Reason}");
                Console.WriteLine($"\t{(d.Body.Length > 500 ? d.Body[..500] + "…" : d.Body)}");
            }
            return 0;
        });
        return list;
    }

    private static Command ReplayCommand(OperatorHost host)
    {
        var which = new Argument<string>("ID") { Description = $"A dead letter's id, or '{All}'." };
        which.Validators.Add(result =>
        {
            if (result.GetValueOrDefault<string>() is not { } value || (value != All && !long.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out _)))
            {
                result.AddError($"ID must be a dead letter's id or '{All}'.");
            }
        });
        var replay = new Command("replay", "Publishes a dead letter (or all of them) again and deletes it once the broker confirms.") { which };
        replay.SetAction(async (parseResult, ct) =>
        {
            await using var scope = (await host.MigratedServicesAsync(ct)).CreateAsyncScope();
            if (scope.ServiceProvider.GetRequiredService<IConfiguration>().UsesInProcessBus())
            {
                await Console.Error.WriteLineAsync("The embedded mode's bus lives inside the running XenoCrm.Web process; replay from there, not from a separate command.");
                return 1;
            }
            var replayer = ActivatorUtilities.CreateInstance<DeadLetterReplayer>(scope.ServiceProvider);
            var id = parseResult.GetRequiredValue(which);
            var replayed = id == All
                ? await replayer.ReplayAllAsync(AuditActor.CommandLine, ct)
                : await replayer.ReplayAsync(long.Parse(id, CultureInfo.InvariantCulture), AuditActor.CommandLine, ct) ? 1 : 0;
            await Console.Error.WriteLineAsync($"Replayed {replayed} dead letter(s).");
            return replayed > 0 || id == All ? 0 : 1;
        });
        return replay;
    }
}
