using System.Net;
using System.Net.Http.Json;
using Microsoft.Extensions.DependencyInjection;
using XenoCrm.ServiceDefaults.Messaging;
using XenoCrm.Core.Campaigns;
using XenoCrm.Core.Campaigns.Sending;

namespace XenoCrm.Core.Tests.Campaigns;

public sealed class HttpDeliveryGatewayTests
{
    /// <summary>Answers each request with the next status of its script (the last one for ever after), counting them.</summary>
    private sealed class ScriptedDelivery(params HttpStatusCode[] script) : HttpMessageHandler
    {
        public int Requests { get; private set; }

        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            var status = script[Math.Min(Requests++, script.Length - 1)];
            var response = new HttpResponseMessage(status);
            if (status == HttpStatusCode.Accepted)
            {
                response.Content = JsonContent.Create(new DeliverySubmission(1, 0), options: MessageJson.Options);
            }
            return Task.FromResult(response);
        }
    }

    /// <summary>The gateway as Workers registers it, its resilience handler included, over a scripted Delivery.</summary>
    private static IDeliveryGateway Gateway(ScriptedDelivery delivery)
    {
        var services = new ServiceCollection();
        HttpDeliveryGateway.AddResilience(services.AddHttpClient<IDeliveryGateway, HttpDeliveryGateway>(http =>
                HttpDeliveryGateway.Configure(http, new DeliveryOptions { BaseUrl = new Uri("http://delivery.test/") })), TimeSpan.FromMilliseconds(1))
            .ConfigurePrimaryHttpMessageHandler(() => delivery);
        return services.BuildServiceProvider().GetRequiredService<IDeliveryGateway>();
    }

    private static readonly OutboundMessage[] Batch = [new("1.1", "a@shop.test", "hello")];

    [Fact]
    public async Task ABlip_IsRetried_AndTheChunkIsAccepted()
    {
        var delivery = new ScriptedDelivery(HttpStatusCode.ServiceUnavailable, HttpStatusCode.Accepted);

        var submission = await Gateway(delivery).SubmitAsync(Batch, CancellationToken.None);

        Assert.Equal(new DeliverySubmission(1, 0), submission);
        Assert.Equal(2, delivery.Requests);
    }

    [Fact]
    public async Task AnOutage_IsRetriedOnlyAFewTimes_ThenLeftToHangfire()
    {
        var delivery = new ScriptedDelivery(HttpStatusCode.ServiceUnavailable);

        var error = await Assert.ThrowsAsync<DeliveryUnavailableException>(() => Gateway(delivery).SubmitAsync(Batch, CancellationToken.None));

        Assert.Contains("503", error.Message, StringComparison.Ordinal);
        Assert.Equal(1 + HttpDeliveryGateway.Retries, delivery.Requests);
    }

    [Fact]
    public async Task ARefusal_IsNotRetried()
    {
        var delivery = new ScriptedDelivery(HttpStatusCode.Unauthorized);

        await Assert.ThrowsAsync<DeliveryUnavailableException>(() => Gateway(delivery).SubmitAsync(Batch, CancellationToken.None));

        Assert.Equal(1, delivery.Requests);
    }
}
