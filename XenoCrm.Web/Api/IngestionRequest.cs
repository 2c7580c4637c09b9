using System.Text.Json;
using Microsoft.AspNetCore.Http.HttpResults;
using XenoCrm.Core.Validation;
using XenoCrm.ServiceDefaults.Messaging;
using XenoCrm.ServiceDefaults.Telemetry;

namespace XenoCrm.Web.Api;

/// <summary>A batch of records, as the ingestion endpoints take it: <c>{"items": [ … ]}</c>.</summary>
public sealed record Batch<TRecord>(IReadOnlyList<TRecord?>? Items) where TRecord : class;

/// <summary>
/// The shared shape of the ingestion endpoints: a body holds one record, or
/// <c>{"items": [ … ]}</c> with up to <see cref="MaxItems"/> records. The whole body is
/// validated before anything is published; one bad record rejects the request.
/// </summary>
internal static class IngestionRequest
{
    public const int MaxItems = 1000;
    public const long MaxBodyBytes = 2 * 1024 * 1024;
    private const int MaxJsonDepth = 8;

    private static readonly BodyLimits Limits = new(MaxBodyBytes, MaxJsonDepth, $"Send at most {MaxBodyBytes / 1024 / 1024} MB and {MaxItems} records per request.");

    public sealed record AcceptedRecords(int Accepted, string RequestId);

    /// <summary>Validates one sent record (named by its path) into the record to publish; null when it has mistakes.</summary>
    public delegate TRecord? RecordValidator<in TSent, out TRecord>(TSent? sent, string path, ValidationErrors errors);

    public static async Task<Results<Accepted<AcceptedRecords>, ValidationProblem, ProblemHttpResult>> AcceptAsync<TSent, TRecord, TMessage>(
        HttpContext http,
        RecordValidator<TSent, TRecord> validate,
        Func<string, IReadOnlyList<TRecord>, TMessage> toMessage,
        string topic,
        IMessagePublisher publisher,
        ILogger logger)
        where TSent : class
        where TRecord : class
    {
        var errors = new ValidationErrors();
        var (document, refused) = await RequestBody.ParseAsync(http, Limits, errors);
        if (refused is not null)
        {
            return refused;
        }
        List<TRecord> records;
        using (document)
        {
            records = document is null ? [] : ReadRecords(document.RootElement, validate, errors);
        }
        if (errors.Any)
        {
            return RequestBody.Invalid(errors, "The request has invalid records; none of them was accepted.");
        }

        var requestId = Guid.CreateVersion7().ToString("N");
        try
        {
            await publisher.PublishAsync(toMessage(requestId, records), http.RequestAborted);
        }
        catch (MessagePublishException ex)
        {
            logger.LogWarning("Request {RequestId} not accepted: {Error}", requestId, ex.Message);
            http.Response.Headers.RetryAfter = "5";
            return TypedResults.Problem(statusCode: StatusCodes.Status503ServiceUnavailable,
                title: "The message broker did not confirm the records; nothing was accepted.",
                detail: "Retry the same request later: re-sending a record never duplicates it.");
        }
        http.RequestServices.GetRequiredService<CrmMetrics>().IngestionAccepted(topic, records.Count);
        return TypedResults.Accepted((string?)null, new AcceptedRecords(records.Count, requestId));
    }

    private static List<TRecord> ReadRecords<TSent, TRecord>(JsonElement root, RecordValidator<TSent, TRecord> validate, ValidationErrors errors)
        where TSent : class
        where TRecord : class
    {
        var records = new List<TRecord>();
        if (root.ValueKind != JsonValueKind.Object)
        {
            errors.Add(ValidationErrors.Body, "Send one record as a JSON object, or a batch as {\"items\": [ … ]}.");
            return records;
        }
        if (!root.TryGetProperty("items", out _))
        {
            if (validate(RequestBody.Bind<TSent>(root, "", errors), "", errors) is { } single)
            {
                records.Add(single);
            }
            return records;
        }
        var batch = RequestBody.Bind<Batch<TSent>>(root, "", errors);
        if (batch?.Items is not { } items)
        {
            if (!errors.Has("items"))
            {
                errors.Add("items", "Must be an array of records.");
            }
            return records;
        }
        if (items.Count is 0 or > MaxItems)
        {
            errors.Add("items", $"Must hold between 1 and {MaxItems} records; it holds {items.Count}.");
            return records;
        }
        for (var index = 0; index < items.Count; index++)
        {
            if (validate(items[index], $"items[{index}]", errors) is { } record)
            {
                records.Add(record);
            }
        }
        return records;
    }
}
