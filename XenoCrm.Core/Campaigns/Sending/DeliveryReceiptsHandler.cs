using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using XenoCrm.Core.Data;
using XenoCrm.Core.Messaging;
using XenoCrm.ServiceDefaults.Messaging;
using XenoCrm.ServiceDefaults.Telemetry;

namespace XenoCrm.Core.Campaigns.Sending;

/// <summary>
/// Applies Delivery's receipts in batches: each log row moves to Sent or Failed once, with its
/// campaign's counters, in one transaction. Late, repeated or reordered receipts change nothing.
/// </summary>
public sealed class DeliveryReceiptsHandler(CrmDbContext db, TimeProvider clock, CrmMetrics metrics, ILogger<DeliveryReceiptsHandler> log)
    : IMessageBatchHandler<DeliveryReceiptsPublished>
{
    public async Task<IReadOnlyList<Deferral<DeliveryReceiptsPublished>>> HandleAsync(IReadOnlyList<DeliveryReceiptsPublished> messages, CancellationToken ct)
    {
        var outcomes = new List<MessageOutcome>();
        foreach (var receipt in messages.SelectMany(m => m.Receipts))
        {
            if (DeliveryMessageId.TryParse(receipt.MessageId, out var logId, out var attempt))
            {
                outcomes.Add(new MessageOutcome(logId, attempt, receipt.Outcome, receipt.Reason));
            }
            else
            {
                log.LogWarning("Ignored a receipt for message id {MessageId}, which XenoCrm did not issue", receipt.MessageId);
            }
        }
        await db.Database.OpenConnectionAsync(ct);
        await using var transaction = await db.Database.BeginTransactionAsync(ct);
        var applied = await CampaignLog.ApplyOutcomesAsync(db, outcomes, clock.GetUtcNow().UtcDateTime, ct);
        await transaction.CommitAsync(ct);
        metrics.CampaignMessagesCompleted(applied.Sent, applied.Failed);
        return [];
    }
}
