using XenoCrm.Web.Operations;

namespace XenoCrm.Web.ApiKeys;

/// <summary><c>api-keys create NAME | list | revoke ID</c>. The key is printed once, alone on stdout.</summary>
internal static class ApiKeysCommand
{
    private const string Usage = "Usage: api-keys create NAME | api-keys list | api-keys revoke ID";

    public static async Task<int> RunAsync(string[] args, IServiceProvider services)
    {
        await using var scope = services.CreateAsyncScope();
        var store = ActivatorUtilities.CreateInstance<ApiKeyStore>(scope.ServiceProvider);
        switch (args)
        {
            case ["create", var name] when !string.IsNullOrWhiteSpace(name) && name.Trim().Length <= ApiKeyStore.NameMaxLength:
                var (row, key) = await store.CreateAsync(name, "cli", CancellationToken.None);
                await Console.Error.WriteLineAsync($"Created API key '{row.Name}' ({row.Prefix}). It is shown once, below; store it now.");
                Console.WriteLine(key);
                return 0;
            case ["list"]:
                foreach (var k in (await store.ListAsync(CancellationToken.None)).OrderBy(k => k.Id))
                {
                    Console.WriteLine($"{k.Id}\t{k.Prefix}\t{k.Name}\tcreated {k.CreatedAt:u} by {k.CreatedBy}\tlast used {k.LastUsedAt?.ToString("u") ?? "never"}{(k.RevokedAt is { } r ? $"\tREVOKED {r:u}" : "")}");
                }
                return 0;
            case ["revoke", var idText] when long.TryParse(idText, out var id):
                var revoked = await store.RevokeAsync(id, CancellationToken.None);
                await Console.Error.WriteLineAsync(revoked
                    ? $"Revoked key {id}; it stops working within {ApiKeyStore.RevocationDelay.TotalSeconds:0} seconds."
                    : $"No active key has id {id}.");
                return revoked ? 0 : 1;
            default:
                throw new CommandUsageException(Usage);
        }
    }
}
