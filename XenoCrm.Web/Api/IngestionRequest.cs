using System.Text.Json;
using Microsoft.AspNetCore.Http.HttpResults;
using XenoCrm.ServiceDefaults.Telemetry;
using XenoCrm.ServiceDefaults.Messaging;

namespace XenoCrm.Web.Api;

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

    public sealed record AcceptedRecords(int Accepted, string RequestId);

    public delegate T? RecordParser<T>(JsonRecordReader reader);

    public static async Task<Results<Accepted<AcceptedRecords>, ValidationProblem, ProblemHttpResult>> AcceptAsync<TRecord, TMessage>(
        HttpContext http,
        RecordParser<TRecord> parse,
        Func<string, IReadOnlyList<TRecord>, TMessage> toMessage,
        string topic,
        IMessagePublisher publisher,
        ILogger logger)
        where TRecord : class
    {
        var body = await JsonBody.ReadAsync(http, MaxBodyBytes, MaxJsonDepth,
            $"Send at most {MaxBodyBytes / 1024 / 1024} MB and {MaxItems} records per request.");
        if (body.Refused is not null)
        {
            return body.Refused;
        }
        if (body.Invalid is not null)
        {
            return body.Invalid;
        }
        var document = body.Document!;

        using (document)
        {
            var errors = new Dictionary<string, List<string>>();
            var records = ReadRecords(document.RootElement, parse, errors);
            if (errors.Count > 0)
            {
                return TypedResults.ValidationProblem(errors.ToDictionary(e => e.Key, e => e.Value.ToArray()),
                    title: "The request has invalid records; none of them was accepted.");
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
    }

    private static List<TRecord> ReadRecords<TRecord>(JsonElement root, RecordParser<TRecord> parse, Dictionary<string, List<string>> errors)
        where TRecord : class
    {
        var records = new List<TRecord>();
        if (root.ValueKind == JsonValueKind.Object && root.TryGetProperty("items", out var items))
        {
            var envelope = new JsonRecordReader(root, "", errors);
            if (!envelope.IsObject(new HashSet<string> { "items" }))
            {
                return records;
            }
            if (items.ValueKind != JsonValueKind.Array)
            {
                envelope.Error("items", "Must be an array of records.");
                return records;
            }
            var count = items.GetArrayLength();
            if (count is 0 or > MaxItems)
            {
                envelope.Error("items", $"Must hold between 1 and {MaxItems} records; it holds {count}.");
                return records;
            }
            var index = 0;
            foreach (var item in items.EnumerateArray())
            {
                if (parse(new JsonRecordReader(item, $"items[{index++}]", errors)) is { } record)
                {
                    records.Add(record);
                }
            }
            return records;
        }
        if (root.ValueKind != JsonValueKind.Object)
        {
            errors["$"] = ["Send one record as a JSON object, or a batch as {\"items\": [ … ]}."];
            return records;
        }
        if (parse(new JsonRecordReader(root, "", errors)) is { } single)
        {
            records.Add(single);
        }
        return records;
    }
}
