using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;
using XenoCrm.ServiceDefaults.Messaging;

namespace XenoCrm.Delivery;

/// <summary>
/// The vendor's machine API. A batch is <c>{"messages":[{"id":…,"to":…,"body":…}]}</c> and is answered
/// <c>202 {"accepted":n,"duplicates":m}</c> once its receipts are on the bus. Every request carries the shared
/// secret as <c>Authorization: Bearer &lt;Delivery:ApiKey&gt;</c>.
/// </summary>
public static class MessagesApi
{
    // A batch with thousands of bad messages would otherwise answer with a problem document as large as itself.
    private const int MaxReportedErrors = 100;
    private static readonly JsonSerializerOptions _json = new(JsonSerializerDefaults.Web);

    public sealed record BatchRequest(List<MessageRequest?>? Messages);

    public sealed record MessageRequest(string? Id, string? To, string? Body);

    public static RouteGroupBuilder MapDeliveryApi(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/v1/messages").WithTags("Messages").AddEndpointFilter<ApiKeyFilter>();

        group.MapPost("/batch", async Task<Results<Accepted<DeliverySubmission>, ValidationProblem, ProblemHttpResult>> (
                HttpContext http, DeliverySimulator simulator, IOptions<DeliverySimulationOptions> options, CancellationToken ct) =>
            {
                var settings = options.Value;
                var (messages, invalid, refused) = await ReadBatchAsync(http, settings.MaxBatchSize, ct);
                if (refused is not null)
                {
                    return refused;
                }
                if (invalid is not null)
                {
                    return invalid;
                }
                if (simulator.NextFault() is { } fault)
                {
                    return await FaultAsync(http, fault, settings.TimeoutDelay, ct);
                }
                try
                {
                    return TypedResults.Accepted((string?)null, await simulator.AcceptAsync(messages!, ct));
                }
                catch (MessagePublishException ex)
                {
                    // Nothing counts as accepted: the sender retries the whole batch and loses nothing.
                    http.Response.Headers.RetryAfter = "1";
                    return TypedResults.Problem(statusCode: StatusCodes.Status503ServiceUnavailable,
                        title: "The receipts could not be published; nothing was accepted.", detail: ex.Message);
                }
            })
            .WithName("SubmitMessageBatch")
            .WithSummary("Accept up to MaxBatchSize messages; each id is an idempotency key, and a resubmitted id gets its first outcome again.");

        group.MapGet("/stats", (DeliverySimulator simulator) => TypedResults.Ok(simulator.Stats))
            .WithName("GetDeliveryStats")
            .WithSummary("Messages accepted, duplicates, and batch requests turned away by fault injection since the process started.");

        return group;
    }

    private static async Task<ProblemHttpResult> FaultAsync(HttpContext http, DeliveryFault fault, TimeSpan timeoutDelay, CancellationToken ct)
    {
        switch (fault)
        {
            case DeliveryFault.ServerError:
                return TypedResults.Problem(statusCode: StatusCodes.Status500InternalServerError, title: "Simulated vendor error; nothing was accepted.");
            case DeliveryFault.TooManyRequests:
                http.Response.Headers.RetryAfter = "1";
                return TypedResults.Problem(statusCode: StatusCodes.Status429TooManyRequests, title: "Simulated rate limit; nothing was accepted.");
            default:
                try
                {
                    await Task.Delay(timeoutDelay, ct);
                }
                catch (OperationCanceledException) when (ct.IsCancellationRequested)
                {
                    // The caller gave up first, as a sender with a shorter timeout should: nobody reads this answer.
                }
                return TypedResults.Problem(statusCode: StatusCodes.Status504GatewayTimeout, title: "Simulated vendor timeout; nothing was accepted.");
        }
    }

    private static async Task<(List<OutboundMessage>? Messages, ValidationProblem? Invalid, ProblemHttpResult? Refused)> ReadBatchAsync(
        HttpContext http, int maxBatchSize, CancellationToken ct)
    {
        if (!http.Request.HasJsonContentType())
        {
            return (null, null, TypedResults.Problem(statusCode: StatusCodes.Status415UnsupportedMediaType,
                title: "Unsupported content type.", detail: "Send the body as application/json."));
        }
        BatchRequest? request;
        try
        {
            request = await JsonSerializer.DeserializeAsync<BatchRequest>(http.Request.Body, _json, ct);
        }
        catch (JsonException ex)
        {
            return (null, Invalid(new() { [ex.Path ?? "$"] = [$"The body is not valid JSON for a batch: {ex.Message}"] }), null);
        }

        if (request?.Messages is not { Count: > 0 } items)
        {
            return (null, Invalid(new() { ["messages"] = ["Send at least one message."] }), null);
        }
        if (items.Count > maxBatchSize)
        {
            return (null, Invalid(new() { ["messages"] = [$"A batch holds at most {maxBatchSize} messages; this one has {items.Count}."] }), null);
        }

        var errors = new Dictionary<string, string[]>();
        var firstIndexOfId = new Dictionary<string, int>(items.Count, StringComparer.Ordinal);
        var messages = new List<OutboundMessage>(items.Count);
        for (var i = 0; i < items.Count && errors.Count < MaxReportedErrors; i++)
        {
            var item = items[i];
            if (item is null)
            {
                errors[$"messages[{i}]"] = ["A message must be an object."];
                continue;
            }
            if (string.IsNullOrWhiteSpace(item.Id))
            {
                errors[$"messages[{i}].id"] = ["The id is required: it is the message's idempotency key."];
            }
            else if (!firstIndexOfId.TryAdd(item.Id, i))
            {
                errors[$"messages[{i}].id"] = [$"The id '{item.Id}' already appears at messages[{firstIndexOfId[item.Id]}]; ids are unique within a batch."];
            }
            if (string.IsNullOrWhiteSpace(item.To))
            {
                errors[$"messages[{i}].to"] = ["The recipient is required."];
            }
            if (item.Body is null)
            {
                errors[$"messages[{i}].body"] = ["The body is required (it may be empty)."];
            }
            if (errors.Count == 0)
            {
                messages.Add(new OutboundMessage(item.Id!, item.To!, item.Body!));
            }
        }
        return errors.Count > 0 ? (null, Invalid(errors), null) : (messages, null, null);
    }

    private static ValidationProblem Invalid(Dictionary<string, string[]> errors) => TypedResults.ValidationProblem(errors);

    /// <summary>401 unless the request carries <c>Authorization: Bearer &lt;Delivery:ApiKey&gt;</c>.</summary>
    private sealed class ApiKeyFilter(IOptions<DeliveryApiOptions> options) : IEndpointFilter
    {
        // Hashing both sides first makes the comparison constant-time in the key's length too.
        private readonly byte[] _expected = SHA256.HashData(Encoding.UTF8.GetBytes(options.Value.ApiKey ?? ""));
        private readonly bool _configured = !string.IsNullOrWhiteSpace(options.Value.ApiKey);

        public async ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
        {
            var header = context.HttpContext.Request.Headers.Authorization.ToString();
            const string Scheme = "Bearer ";
            // Without a configured key nothing gets in: a missing setting must never open the API.
            if (_configured && header.StartsWith(Scheme, StringComparison.OrdinalIgnoreCase)
                && CryptographicOperations.FixedTimeEquals(SHA256.HashData(Encoding.UTF8.GetBytes(header[Scheme.Length..].Trim())), _expected))
            {
                return await next(context);
            }
            context.HttpContext.Response.Headers.WWWAuthenticate = "Bearer";
            return TypedResults.Problem(statusCode: StatusCodes.Status401Unauthorized,
                title: "A valid API key is required.", detail: "Send Authorization: Bearer <Delivery:ApiKey>.");
        }
    }
}
