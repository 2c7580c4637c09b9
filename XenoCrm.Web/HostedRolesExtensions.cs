using XenoCrm.Core;
using XenoCrm.Core.BackgroundJobs;
using XenoCrm.Delivery;
using XenoCrm.ServiceDefaults.Messaging;

namespace XenoCrm.Web;

public static class HostedRolesExtensions
{
    /// <summary>
    /// Without RabbitMQ (the embedded mode) Web also hosts the Workers and Delivery roles, so that one
    /// process is the whole product; otherwise it is only a Hangfire client of the shared storage.
    /// </summary>
    public static IHostApplicationBuilder AddHostedRoles(this IHostApplicationBuilder builder)
    {
        if (builder.Configuration.UsesInProcessBus())
        {
            builder.AddWorkersRole();
            builder.AddDeliveryService();
        }
        else
        {
            builder.AddHangfireStorage();
        }
        return builder;
    }
}
