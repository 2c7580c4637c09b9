using XenoCrm.ServiceDefaults.Messaging;

namespace XenoCrm.Delivery;

/// <summary>
/// The embedded mode's gateway: Web hosts the vendor, so a batch goes straight to the simulator. The HTTP API's
/// fault injection does not apply here; the outcomes, latency and receipts are the same.
/// </summary>
public sealed class InProcessDeliveryGateway(DeliverySimulator simulator) : IDeliveryGateway
{
    public async Task<DeliverySubmission> SubmitAsync(IReadOnlyList<OutboundMessage> messages, CancellationToken ct)
    {
        try
        {
            return await simulator.AcceptAsync(messages, ct);
        }
        catch (MessagePublishException ex)
        {
            throw new DeliveryUnavailableException($"Delivery could not publish the receipts: {ex.Message}", ex);
        }
    }
}
