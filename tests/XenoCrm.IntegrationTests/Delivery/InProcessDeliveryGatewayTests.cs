using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using XenoCrm.Delivery;
using XenoCrm.Web;
using XenoCrm.ServiceDefaults.Messaging;

namespace XenoCrm.IntegrationTests.Delivery;

/// <summary>The embedded mode: Web's roles include Delivery, reached without HTTP, with receipts on the in-process bus.</summary>
public sealed class InProcessDeliveryGatewayTests
{
    [Fact]
    public async Task Web_SubmitsThroughTheSimulatorInProcess_AndItsReceiptsReachTheInProcessBus_InTheEmbeddedMode()
    {
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?> { ["DeliverySimulation:Seed"] = "5" });
        builder.AddMessageBus();
        builder.AddHostedRoles();
        using var host = builder.Build();
        var gateway = host.Services.GetRequiredService<IDeliveryGateway>();
        await using var receipts = await host.Services.GetRequiredService<IMessageTransport>().SubscribeAsync<DeliveryReceiptsPublished>(10, CancellationToken.None);
        var messages = Enumerable.Range(1, 1_500).Select(i => new OutboundMessage(DeliveryMessageId.Format(i, 1), $"c{i}@shop.test", "Hi")).ToList();

        Assert.IsType<InProcessDeliveryGateway>(gateway);
        Assert.Equal(new DeliverySubmission(1_500, 0), await gateway.SubmitAsync(messages, CancellationToken.None));
        Assert.Equal(new DeliverySubmission(1, 1), await gateway.SubmitAsync([messages[0], new OutboundMessage(DeliveryMessageId.Format(1, 2), "x@shop.test", "Hi")], CancellationToken.None));

        var published = new List<DeliveryReceipt>();
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        while (published.Count < 1_502)
        {
            published.AddRange(MessageJson.Deserialize<DeliveryReceiptsPublished>((await receipts.Messages.ReadAsync(deadline.Token)).Body).Receipts);
        }
        Assert.Equal(1_502, published.Count);
        Assert.All(published, r => Assert.Equal(DeliveryOutcomes.Decide(r.MessageId, 5, 0.9), new DeliveryOutcomeDecision(r.Outcome, r.Reason)));
        Assert.Equal(2, published.Count(r => r.MessageId == messages[0].Id));
    }
}
