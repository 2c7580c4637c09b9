using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace XenoCrm.Core.Campaigns;

public static class CampaignCommandsExtensions
{
    /// <summary>The campaign actions and previews Web offers; the sending itself runs in the Workers role.</summary>
    public static IHostApplicationBuilder AddCampaignCommands(this IHostApplicationBuilder builder)
    {
        builder.Services.AddScoped<CampaignCommands>();
        builder.Services.AddScoped<CampaignTemplatePreview>();
        return builder;
    }
}
