using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using XenoCrm.ServiceDefaults;

namespace XenoCrm.Core.Idempotency;

public static class IdempotencyExtensions
{
    public static IHostApplicationBuilder AddIdempotencyKeys(this IHostApplicationBuilder builder)
    {
        builder.AddValidatedOptions<IdempotencyOptions>(IdempotencyOptions.Section);
        builder.Services.AddScoped<IdempotencyStore>();
        return builder;
    }
}
