using XenoCrm.Core.Campaigns;
using XenoCrm.ServiceDefaults.Messaging;

namespace XenoCrm.Workers;

public static class StandaloneWorkersExtensions
{
    /// <summary>
    /// The Workers process exists for the distributed mode: it consumes RabbitMQ and sends through the Delivery service,
    /// so start-up fails, naming the setting, when either is missing.
    /// </summary>
    public static IHostApplicationBuilder RequireDistributedMode(this IHostApplicationBuilder builder)
    {
        builder.RequireRabbitMq("XenoCrm.Workers");
        builder.Services.AddOptions<DeliveryOptions>()
            .Validate(o => o.BaseUrl is not null, "XenoCrm.Workers sends campaigns through the Delivery service and needs Delivery:BaseUrl (and Delivery:ApiKey).")
            .ValidateOnStart();
        return builder;
    }
}
