using System.Globalization;
using System.Text.Json.Serialization;

namespace XenoCrm.ServiceDefaults.Messaging;

/// <summary>How a message reaches its recipient; the wire names are <c>email</c> and <c>sms</c>.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<MessageChannel>))]
public enum MessageChannel
{
    [JsonStringEnumMemberName("email")] Email,
    [JsonStringEnumMemberName("sms")] Sms,
}

/// <summary>
/// One message handed to the Delivery service; <see cref="Id"/> is its idempotency key, <see cref="To"/> the
/// email address or phone number of <see cref="Channel"/>, <see cref="Body"/> the plain text (the SMS text, or an
/// email's text part).
/// </summary>
public sealed record OutboundMessage(string Id, string To, string Body)
{
    public MessageChannel Channel { get; init; } = MessageChannel.Email;

    /// <summary>Email only.</summary>
    public string? Subject { get; init; }

    /// <summary>The sender's display name (email only).</summary>
    public string? SenderName { get; init; }

    /// <summary>The From address of an email, or the sender id of an SMS.</summary>
    public string? SenderAddress { get; init; }

    /// <summary>An email's HTML part; without it the email is sent as plain text only.</summary>
    public string? HtmlBody { get; init; }

    /// <summary>The recipient's one-click unsubscribe link (marketing email: List-Unsubscribe, RFC 8058).</summary>
    public string? UnsubscribeUrl { get; init; }
}

/// <param name="Accepted">Messages seen for the first time.</param>
/// <param name="Duplicates">Messages whose id was already accepted: answered with their first outcome, not sent again.</param>
public sealed record DeliverySubmission(int Accepted, int Duplicates);

public enum DeliveryOutcome
{
    Sent,
    Failed,
}

/// <summary>What happened to one message; <see cref="Reason"/> is set when it failed.</summary>
public sealed record DeliveryReceipt(string MessageId, DeliveryOutcome Outcome, string? Reason, DateTime At);

/// <summary>A batch of receipts, published by Delivery to <see cref="Messaging.Topics.Receipts"/>.</summary>
[MessageTopic(Topics.Receipts)]
public sealed record DeliveryReceiptsPublished(IReadOnlyList<DeliveryReceipt> Receipts);

/// <summary>Hands messages to the Delivery service: over HTTP in the distributed mode, in process in the embedded one.</summary>
public interface IDeliveryGateway
{
    /// <summary>Completes when Delivery has accepted the whole batch; throws <see cref="DeliveryUnavailableException"/> otherwise.</summary>
    Task<DeliverySubmission> SubmitAsync(IReadOnlyList<OutboundMessage> messages, CancellationToken ct);
}

public sealed class DeliveryUnavailableException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>
/// A log row's message id is "{log id}.{attempt}": the same row and attempt always map to the same id
/// (so a resubmission is recognized), and a "retry failed" attempt gets a new one (so it is really sent again).
/// </summary>
public static class DeliveryMessageId
{
    public static string Format(long logId, int attempt) =>
        string.Create(CultureInfo.InvariantCulture, $"{logId}.{attempt}");

    public static bool TryParse(string messageId, out long logId, out int attempt)
    {
        logId = 0;
        attempt = 0;
        var dot = messageId.IndexOf('.', StringComparison.Ordinal);
        return dot > 0
            && long.TryParse(messageId.AsSpan(0, dot), NumberStyles.None, CultureInfo.InvariantCulture, out logId)
            && int.TryParse(messageId.AsSpan(dot + 1), NumberStyles.None, CultureInfo.InvariantCulture, out attempt);
    }
}
