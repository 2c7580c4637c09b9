using Microsoft.Extensions.DependencyInjection.Extensions;
using XenoCrm.ServiceDefaults.Messaging;
using XenoCrm.ServiceDefaults;

namespace XenoCrm.Delivery;

public static class DeliveryExtensions
{
    /// <summary>
    /// The Delivery role: the simulator and an <see cref="IDeliveryGateway"/> that calls it in process. Needs an
    /// <see cref="IMessagePublisher"/> (<c>AddMessageBus</c>). Web calls this in the embedded mode.
    /// </summary>
    public static IHostApplicationBuilder AddDeliveryService(this IHostApplicationBuilder builder)
    {
        builder.AddValidatedOptions<DeliverySimulationOptions>(DeliverySimulationOptions.Section);
        builder.Services.TryAddSingleton(TimeProvider.System);
        builder.Services.AddSingleton<DeliverySimulator>();
        builder.Services.AddSingleton<IDeliveryGateway, InProcessDeliveryGateway>();
        return builder;
    }

    /// <summary>The HTTP API's settings: only the Delivery process serves it, so only it requires <c>Delivery:ApiKey</c>.</summary>
    public static IHostApplicationBuilder AddDeliveryApi(this IHostApplicationBuilder builder)
    {
        builder.AddValidatedOptions<DeliveryApiOptions>(DeliveryApiOptions.Section);
        return builder;
    }
}
