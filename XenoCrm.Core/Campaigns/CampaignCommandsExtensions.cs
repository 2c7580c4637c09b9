using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using XenoCrm.Core.Campaigns.Sending;

namespace XenoCrm.Core.Campaigns;

public static class CampaignCommandsExtensions
{
    /// <summary>The campaign actions and previews Web offers; they hand the sending to the Workers role through its send jobs.</summary>
    public static IHostApplicationBuilder AddCampaignCommands(this IHostApplicationBuilder builder)
    {
        builder.Services.AddScoped<CampaignCommands>();
        builder.Services.TryAddScoped<ICampaignSendJobs, HangfireCampaignSendJobs>();
        builder.Services.AddScoped<CampaignTemplatePreview>();
        return builder;
    }
}
