using Hangfire;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using XenoCrm.Core.Data;
using XenoCrm.ServiceDefaults.Messaging;
using XenoCrm.ServiceDefaults.Telemetry;

namespace XenoCrm.Core.Campaigns.Sending;

/// <summary>
/// Sends one chunk: renders the open recipients of an id range, posts them to Delivery in one
/// request (each log id and attempt as idempotency key) and marks them Submitted. Safe to run
/// twice: terminal rows are never read, and Delivery answers an id it already accepted with its
/// first outcome instead of sending it again.
/// </summary>
[Queue(CampaignQueues.Campaigns)]
public sealed class CampaignChunkJob(CrmDbContext db, IDeliveryGateway delivery, TimeProvider clock, CrmMetrics metrics, ILogger<CampaignChunkJob> log)
{
    private sealed record Recipient(long LogId, TemplateCustomer Customer);

    [JobDisplayName("Campaign {0} · chunk {1}/{2} · attempt {3}")]
    [AutomaticRetry(Attempts = 15, DelaysInSeconds = [1, 2, 3, 5, 10, 15, 30, 30, 60, 60, 120, 120, 300, 300, 600])]
    public async Task RunAsync(long campaignId, int chunk, int chunkCount, int attempt, long fromId, long toId, CancellationToken ct)
    {
        using var scope = log.BeginScope(CampaignScope.Of(campaignId));
        var campaign = await db.Campaigns.AsNoTracking()
            .Where(c => c.Id == campaignId)
            .Select(c => new { c.Status, c.Attempt, c.Template })
            .SingleOrDefaultAsync(ct);
        // A cancel, or a newer attempt than the one this job was planned for, ends its work.
        if (campaign is null || campaign.Status != CampaignStatus.Sending || campaign.Attempt != attempt)
        {
            return;
        }

        var recipients = await db.CommunicationLog.AsNoTracking()
            .Where(l => l.CampaignId == campaignId && l.Id >= fromId && l.Id < toId && l.Attempt == attempt
                        && (l.Status == MessageStatus.Pending || l.Status == MessageStatus.Submitted))
            .OrderBy(l => l.Id)
            .Select(l => new Recipient(l.Id, new TemplateCustomer(
                l.Customer!.Id, l.Customer.Name, l.Customer.Email, l.Customer.Phone, l.Customer.City, l.Customer.Country,
                l.Customer.SignedUpAt, l.Customer.TotalSpend, l.Customer.OrderCount, l.Customer.AvgOrderValue,
                l.Customer.FirstOrderAt, l.Customer.LastOrderAt)))
            .ToListAsync(ct);
        if (recipients.Count == 0)
        {
            return;
        }

        var parsed = MessageTemplate.Parse(campaign.Template);
        var messages = new List<OutboundMessage>(recipients.Count);
        var rendered = new List<(long LogId, string Message)>(recipients.Count);
        var unrenderable = new List<MessageOutcome>();
        foreach (var recipient in recipients)
        {
            var (body, failure) = Render(parsed, recipient.Customer);
            if (body is null)
            {
                unrenderable.Add(new MessageOutcome(recipient.LogId, attempt, DeliveryOutcome.Failed, $"Template: {failure}"));
                continue;
            }
            messages.Add(new OutboundMessage(DeliveryMessageId.Format(recipient.LogId, attempt), recipient.Customer.Email, body));
            rendered.Add((recipient.LogId, body));
        }

        var now = clock.GetUtcNow().UtcDateTime;
        if (messages.Count > 0)
        {
            var submission = await delivery.SubmitAsync(messages, ct);
            await db.Database.OpenConnectionAsync(ct);
            await using var transaction = await db.Database.BeginTransactionAsync(ct);
            await CampaignLog.MarkSubmittedAsync(db, campaignId, attempt, rendered, now, ct);
            await transaction.CommitAsync(ct);
            // What Delivery already had was counted by the run that first handed it over.
            metrics.CampaignMessagesSubmitted(submission.Accepted);
            log.LogInformation("Campaign {CampaignId} chunk {Chunk}/{Chunks}: {Count} messages handed to Delivery ({Duplicates} it already had)",
                campaignId, chunk, chunkCount, messages.Count, submission.Duplicates);
        }
        if (unrenderable.Count > 0)
        {
            await using var transaction = await db.Database.BeginTransactionAsync(ct);
            var applied = await CampaignLog.ApplyOutcomesAsync(db, unrenderable, now, ct);
            await transaction.CommitAsync(ct);
            metrics.CampaignMessagesCompleted(applied.Sent, applied.Failed);
            log.LogWarning("Campaign {CampaignId} chunk {Chunk}: {Count} messages could not be rendered", campaignId, chunk, unrenderable.Count);
        }
    }

    private static (string? Body, string? Failure) Render(TemplateParseResult parsed, TemplateCustomer customer)
    {
        // Templates are checked when saved; a parse error here means the checks changed since, and every message fails with it.
        if (!parsed.Succeeded)
        {
            return (null, parsed.Errors[0].Message);
        }
        try
        {
            return (parsed.Template.Render(customer), null);
        }
        catch (TemplateRenderException ex)
        {
            return (null, ex.Message);
        }
    }
}
