using System.CommandLine;
using XenoCrm.Core.Audit;
using XenoCrm.Web.Operations;

namespace XenoCrm.Web.ApiKeys;

/// <summary><c>api-keys create NAME | list | revoke ID</c>. The key is printed once, alone on stdout.</summary>
internal static class ApiKeysCommand
{
    public const string Name = "api-keys";

    public static Command Create(OperatorHost host) => new(Name, "Creates, lists and revokes the API keys machines authenticate with.")
    {
        CreateCommand(host),
        ListCommand(host),
        RevokeCommand(host),
    };

    private static Command CreateCommand(OperatorHost host)
    {
        var name = new Argument<string>("NAME") { Description = $"What the key is for (1 to {ApiKeyStore.NameMaxLength} characters)." };
        name.Validators.Add(result =>
        {
            if (result.GetValueOrDefault<string>() is not { } value || string.IsNullOrWhiteSpace(value) || value.Trim().Length > ApiKeyStore.NameMaxLength)
            {
                result.AddError($"NAME must have 1 to {ApiKeyStore.NameMaxLength} characters.");
            }
        });
        var create = new Command("create", "Creates a key and prints it once, alone on stdout.") { name };
        create.SetAction(async (parseResult, ct) =>
        {
            await using var scope = (await host.MigratedServicesAsync(ct)).CreateAsyncScope();
            var (row, key) = await Store(scope).CreateAsync(parseResult.GetRequiredValue(name), AuditActor.CommandLine, ct);
            await Console.Error.WriteLineAsync($"Created API key '{row.Name}' ({row.Prefix}). It is shown once, below; store it now.");
            Console.WriteLine(key);
            return 0;
        });
        return create;
    }

    private static Command ListCommand(OperatorHost host)
    {
        var list = new Command("list", "Lists every key, revoked ones included, one per line.");
        list.SetAction(async (_, ct) =>
        {
            await using var scope = (await host.MigratedServicesAsync(ct)).CreateAsyncScope();
            foreach (var k in (await Store(scope).ListAsync(ct)).OrderBy(k => k.Id))
            {
                Console.WriteLine($"{k.Id}\t{k.Prefix}\t{k.Name}\tcreated {k.CreatedAt:u} by {k.CreatedBy}\tlast used {k.LastUsedAt?.ToString("u") ?? "never"}{(k.RevokedAt is { } r ? $"\tREVOKED {r:u}" : "")}");
            }
            return 0;
        });
        return list;
    }

    private static Command RevokeCommand(OperatorHost host)
    {
        var id = new Argument<long>("ID") { Description = "The key's id, as list shows it." };
        var revoke = new Command("revoke", "Revokes a key; it stops working within seconds.") { id };
        revoke.SetAction(async (parseResult, ct) =>
        {
            await using var scope = (await host.MigratedServicesAsync(ct)).CreateAsyncScope();
            var keyId = parseResult.GetValue(id);
            var revoked = await Store(scope).RevokeAsync(keyId, AuditActor.CommandLine, ct);
            await Console.Error.WriteLineAsync(revoked
                ? $"Revoked key {keyId}; it stops working within {ApiKeyStore.RevocationDelay.TotalSeconds:0} seconds."
                : $"No active key has id {keyId}.");
            return revoked ? 0 : 1;
        });
        return revoke;
    }

    private static ApiKeyStore Store(AsyncServiceScope scope) => ActivatorUtilities.CreateInstance<ApiKeyStore>(scope.ServiceProvider);
}
