using Hangfire;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using XenoCrm.Core.BackgroundJobs;
using XenoCrm.Core.Campaigns;
using XenoCrm.Core.Campaigns.Sending;
using XenoCrm.Core.Ingestion;
using XenoCrm.ServiceDefaults.Messaging;
using XenoCrm.ServiceDefaults;

namespace XenoCrm.Core;

/// <summary>
/// The Workers role's composition. It lives in Core, beside the code it wires, so that XenoCrm.Workers (its own process in
/// the distributed mode) and XenoCrm.Web (which hosts it in the embedded mode) both call it and Web never references Workers.
/// </summary>
public static class WorkersRoleExtensions
{
    /// <summary>The Workers role: the ingestion and receipts consumers, the campaign send jobs with their Hangfire server, and the reconciler.</summary>
    public static IHostApplicationBuilder AddWorkersRole(this IHostApplicationBuilder builder)
    {
        builder.AddValidatedOptions<IngestionOptions>(IngestionOptions.Section);

        builder.Services.AddMessageSubscriptions();

        builder.AddCampaignSending();
        builder.AddHangfireStorage();
        // Failed chunks come back through Hangfire's scheduled set: poll it often so a retry waits seconds, not the default 15.
        builder.Services.AddHangfireServer(o =>
        {
            o.Queues = [CampaignQueues.Campaigns, "default"];
            o.SchedulePollingInterval = TimeSpan.FromSeconds(1);
        });
        return builder;
    }

    private static void AddCampaignSending(this IHostApplicationBuilder builder)
    {
        builder.AddValidatedOptions<CampaignOptions>(CampaignOptions.Section);
        builder.AddValidatedOptions<DeliveryOptions>(DeliveryOptions.Section);
        // Without Delivery:BaseUrl the host registers the in-process Delivery role (the embedded mode).
        if (builder.Configuration.GetSection(DeliveryOptions.Section).Get<DeliveryOptions>()?.BaseUrl is not null)
        {
            HttpDeliveryGateway.AddResilience(builder.Services.AddHttpClient<IDeliveryGateway, HttpDeliveryGateway>((sp, http) =>
                HttpDeliveryGateway.Configure(http, sp.GetRequiredService<IOptions<DeliveryOptions>>().Value)));
        }
        builder.Services.TryAddScoped<ICampaignSendJobs, HangfireCampaignSendJobs>();
        builder.Services.AddScoped<CampaignChunkPlanner>();
        builder.Services.AddScoped<CampaignStartJob>();
        builder.Services.AddScoped<CampaignChunkJob>();
        builder.Services.AddScoped<CampaignRetryFailedJob>();
        builder.Services.AddHostedService<CampaignReconciler>();
    }
}
