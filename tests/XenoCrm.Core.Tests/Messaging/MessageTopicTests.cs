using System.Reflection;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using XenoCrm.Core.Ingestion;
using XenoCrm.Core.Messaging;
using XenoCrm.ServiceDefaults.Messaging;

namespace XenoCrm.Core.Tests.Messaging;

public sealed class MessageTopicTests
{
    /// <summary>Every message type of the product: the types that name a topic, in the assemblies that declare messages.</summary>
    private static List<Type> ProductMessageTypes() =>
        new[] { typeof(CustomersReceived).Assembly, typeof(DeliveryReceiptsPublished).Assembly }
            .SelectMany(a => a.GetTypes())
            .Where(t => t.GetCustomAttribute<MessageTopicAttribute>() is not null)
            .ToList();

    [Fact]
    public void EachMessageType_KeepsTheTopicAndTheQueueNameOfRunningInstallations()
    {
        // Literal names on purpose: these are queues on running brokers, and a rename would strand what they hold.
        Assert.Equal("ingest.customers", MessageTopic.Of<CustomersReceived>());
        Assert.Equal("ingest.orders", MessageTopic.Of<OrdersReceived>());
        Assert.Equal("delivery.receipts", MessageTopic.Of<DeliveryReceiptsPublished>());
        Assert.Equal("xenocrm.ingest.customers", RabbitMqBus.QueueOf(MessageTopic.Of<CustomersReceived>()));
        Assert.Equal("xenocrm.ingest.orders", RabbitMqBus.QueueOf(MessageTopic.Of<OrdersReceived>()));
        Assert.Equal("xenocrm.delivery.receipts", RabbitMqBus.QueueOf(MessageTopic.Of<DeliveryReceiptsPublished>()));
    }

    [Fact]
    public void TheDeclaredTopics_AreExactlyTheMessageTypesTopics_OneTypeEach()
    {
        var topics = ProductMessageTypes().Select(MessageTopic.Of).ToList();

        Assert.Equal(topics.Count, topics.Distinct().Count());
        Assert.Equal(Topics.All.Order(), topics.Order());
    }

    [Fact]
    public void AType_WithoutATopic_IsNoMessage()
    {
        var error = Assert.Throws<InvalidOperationException>(() => MessageTopic.Of<CustomerRecord>());
        Assert.Contains("CustomerRecord", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void TheSubscriptionList_CoversEveryMessageType_WithItsHandlerAndConsumer()
    {
        var services = new ServiceCollection().AddMessageSubscriptions();

        var subscriptions = services.Select(d => d.ImplementationInstance).OfType<BatchSubscription>().ToList();
        Assert.Equal(ProductMessageTypes().Select(t => t.FullName).Order(), subscriptions.Select(s => s.MessageType.FullName).Order());
        Assert.All(subscriptions, s => Assert.Equal(MessageTopic.Of(s.MessageType), s.Topic));
        Assert.All(subscriptions, s => Assert.Contains(services, d =>
            d.ServiceType == typeof(IMessageBatchHandler<>).MakeGenericType(s.MessageType) && d.ImplementationType == s.HandlerType && d.Lifetime == ServiceLifetime.Scoped));
        Assert.Equal(subscriptions.Count, services.Count(d => d.ServiceType == typeof(IHostedService)));
    }

    [Fact]
    public async Task TheTypedPublisher_SendsAMessageToItsTypesTopic_AsAFirstAttempt()
    {
        var bus = new InProcessBus(Microsoft.Extensions.Options.Options.Create(new MessagingOptions()));
        await using var subscription = await bus.SubscribeAsync<OrdersReceived>(10, CancellationToken.None);

        await new MessagePublisher(bus).PublishAsync(new OrdersReceived("r1", []), CancellationToken.None);

        var message = await subscription.Messages.ReadAsync();
        Assert.Equal(Topics.Orders, message.Topic);
        Assert.Equal(1, message.Attempt);
        Assert.Equal("r1", MessageJson.Deserialize<OrdersReceived>(message.Body).RequestId);
    }
}
