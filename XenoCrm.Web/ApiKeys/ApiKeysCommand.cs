using Microsoft.EntityFrameworkCore;
using XenoCrm.Core.ApiKeys;
using XenoCrm.Core.Data;
using XenoCrm.Web.Operations;

namespace XenoCrm.Web.ApiKeys;

/// <summary><c>api-keys create NAME | list | revoke ID</c>. The key is printed once, alone on stdout.</summary>
internal static class ApiKeysCommand
{
    private const string Usage = "Usage: api-keys create NAME | api-keys list | api-keys revoke ID";

    public static async Task<int> RunAsync(string[] args, IServiceProvider services)
    {
        await using var scope = services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<CrmDbContext>();
        switch (args)
        {
            case ["create", var name] when !string.IsNullOrWhiteSpace(name) && name.Length <= 100:
                var (key, prefix, hash) = ApiKeySecret.Generate();
                db.ApiKeys.Add(new ApiKey { Name = name, Prefix = prefix, Hash = hash, CreatedBy = "cli", CreatedAt = DateTime.UtcNow });
                await db.SaveChangesAsync();
                await Console.Error.WriteLineAsync($"Created API key '{name}' ({prefix}). It is shown once, below; store it now.");
                Console.WriteLine(key);
                return 0;
            case ["list"]:
                foreach (var k in await db.ApiKeys.AsNoTracking().OrderBy(k => k.Id).ToListAsync())
                {
                    Console.WriteLine($"{k.Id}\t{k.Prefix}\t{k.Name}\tcreated {k.CreatedAt:u} by {k.CreatedBy}\tlast used {k.LastUsedAt?.ToString("u") ?? "never"}{(k.RevokedAt is { } r ? $"\tREVOKED {r:u}" : "")}");
                }
                return 0;
            case ["revoke", var idText] when long.TryParse(idText, out var id):
                var revoked = await db.ApiKeys.Where(k => k.Id == id && k.RevokedAt == null)
                    .ExecuteUpdateAsync(s => s.SetProperty(k => k.RevokedAt, DateTime.UtcNow));
                await Console.Error.WriteLineAsync(revoked == 1 ? $"Revoked key {id}; it stops working within a minute." : $"No active key has id {id}.");
                return revoked == 1 ? 0 : 1;
            default:
                throw new CommandUsageException(Usage);
        }
    }
}
