using System.Security.Claims;
using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;
using XenoCrm.Core.Idempotency;

namespace XenoCrm.Web.Api;

/// <summary>
/// The <c>Idempotency-Key</c> request header (IETF draft "The Idempotency-Key HTTP Header Field") on the endpoints
/// that create something, opted in with <see cref="WithIdempotencyKey"/>. A client that did not get an answer (a
/// timeout, a dropped connection) sends the same request again with the same key, and gets the first answer —
/// status, <c>Location</c>, body — without the operation running twice. The HTTP side lives here; the claim and the
/// stored answers are <see cref="IdempotencyStore"/>'s, in the database, so they hold across Web instances.
/// </summary>
public static class IdempotencyKeys
{
    public const string HeaderName = "Idempotency-Key";

    /// <summary>Set on an answer given again from the store rather than by running the operation.</summary>
    public const string ReplayedHeaderName = "Idempotent-Replayed";

    /// <summary>
    /// The endpoint takes an <c>Idempotency-Key</c>. The filter reads (and hashes) the body before the endpoint does, so
    /// it holds the body to <paramref name="maxBodyBytes"/> itself: pass the endpoint's own limit.
    /// </summary>
    public static RouteHandlerBuilder WithIdempotencyKey(this RouteHandlerBuilder builder, long maxBodyBytes) =>
        builder
            .WithMetadata(new IdempotencyKeyMetadata())
            .AddEndpointFilter((context, next) => RunOnceAsync(context, next, maxBodyBytes));

    /// <summary>Marks the endpoints that take the header, for the OpenAPI document.</summary>
    public sealed class IdempotencyKeyMetadata;

    private static async ValueTask<object?> RunOnceAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next, long maxBodyBytes)
    {
        var http = context.HttpContext;
        if (!http.Request.Headers.TryGetValue(HeaderName, out var values))
        {
            return await next(context);
        }
        if (ParseKey(values) is not { } key)
        {
            return InvalidKey();
        }
        var hash = await HashRequestAsync(http, maxBodyBytes);
        if (hash is null)
        {
            return TypedResults.Problem(statusCode: StatusCodes.Status413PayloadTooLarge, title: "The body is too large.",
                detail: $"Send at most {maxBodyBytes / 1024} KB.");
        }

        // Its own scope: the endpoint's DbContext is the endpoint's, and a lost insert race must not leave anything tracked in it.
        await using var scope = http.RequestServices.GetRequiredService<IServiceScopeFactory>().CreateAsyncScope();
        var store = scope.ServiceProvider.GetRequiredService<IdempotencyStore>();
        switch (await store.ClaimAsync(ScopeOf(http.User), key, hash, http.RequestAborted))
        {
            case IdempotencyClaim.Replay replay:
                return new StoredAnswerResult(replay.Answer, Replayed: true);
            case IdempotencyClaim.UsedForAnotherRequest:
                return TypedResults.Problem(new HttpValidationProblemDetails(new Dictionary<string, string[]>
                {
                    [HeaderName] = ["This key was used for another request (another method, path or body). Send a new key for a new request."],
                })
                {
                    Status = StatusCodes.Status422UnprocessableEntity,
                    Title = $"The {HeaderName} was used for another request.",
                });
            case IdempotencyClaim.InProgress:
                // The draft's answer for a retry that overtakes the first request; it is answered once that one is.
                http.Response.Headers.RetryAfter = "1";
                return TypedResults.Problem(statusCode: StatusCodes.Status409Conflict, title: $"A request with this {HeaderName} is still being processed.",
                    detail: "Retry in a moment to get its answer.");
            case IdempotencyClaim.Claimed claimed:
                return await RunClaimedAsync(context, next, store, claimed.Id);
            default:
                throw new InvalidOperationException("Unknown idempotency claim.");
        }
    }

    /// <summary>Runs the operation, keeps its answer for the key (a 5xx gives the key up, for the retry to run) and gives it.</summary>
    private static async ValueTask<object?> RunClaimedAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next, IdempotencyStore store, long claim)
    {
        var http = context.HttpContext;
        StoredAnswer answer;
        try
        {
            answer = await CaptureAsync(http, await next(context));
        }
        catch
        {
            await ReleaseQuietlyAsync(http, store, claim);
            throw;
        }
        if (answer.Status >= StatusCodes.Status500InternalServerError)
        {
            await ReleaseQuietlyAsync(http, store, claim);
            return new StoredAnswerResult(answer, Replayed: false);
        }
        try
        {
            // Not the request's token: a client that hung up is the one that will retry, and must find this answer.
            await store.CompleteAsync(claim, answer, CancellationToken.None);
        }
        catch (Exception ex)
        {
            // The operation ran: its answer still goes to the client. A retry finds the claim unanswered (409) until it is
            // abandoned (Idempotency:AbandonedAfter).
            Logger(http).LogWarning(ex, "Could not keep the answer for an {Header}; a retry with it gets 409 for a while", HeaderName);
        }
        return new StoredAnswerResult(answer, Replayed: false);
    }

    private static async Task ReleaseQuietlyAsync(HttpContext http, IdempotencyStore store, long claim)
    {
        try
        {
            await store.ReleaseAsync(claim, CancellationToken.None);
        }
        catch (Exception ex)
        {
            // The database is likely what failed the request: the claim lapses by itself (Idempotency:AbandonedAfter).
            Logger(http).LogWarning(ex, "Could not give up an {Header} claim after a failed request", HeaderName);
        }
    }

    /// <summary>Executes the endpoint's result into memory, so that what the client gets is exactly what is kept.</summary>
    private static async Task<StoredAnswer> CaptureAsync(HttpContext http, object? result)
    {
        var executable = result switch
        {
            IResult r => r,
            null => TypedResults.Empty,
            string text => TypedResults.Text(text),
            var value => TypedResults.Ok(value),
        };
        var original = http.Features.GetRequiredFeature<IHttpResponseBodyFeature>();
        using var buffer = new MemoryStream();
        var capture = new StreamResponseBodyFeature(buffer, original);
        http.Features.Set<IHttpResponseBodyFeature>(capture);
        try
        {
            await executable.ExecuteAsync(http);
            await capture.CompleteAsync();
        }
        finally
        {
            http.Features.Set(original);
        }
        var location = http.Response.Headers.Location.ToString();
        return new StoredAnswer(http.Response.StatusCode, location.Length == 0 ? null : location, http.Response.ContentType, buffer.ToArray());
    }

    /// <summary>
    /// The key, or null when it is none: the draft's sf-string (printable ASCII, in quotes) or the bare token most clients
    /// send, 1–255 characters, one value.
    /// </summary>
    private static string? ParseKey(Microsoft.Extensions.Primitives.StringValues values)
    {
        if (values.Count != 1 || values[0] is not { } raw)
        {
            return null;
        }
        var key = raw.Length >= 2 && raw[0] == '"' && raw[^1] == '"' ? raw[1..^1] : raw;
        return key.Length is > 0 and <= IdempotencyRecord.KeyMaxLength && key.All(c => c is >= ' ' and <= '~') && key.Trim().Length > 0
            ? key
            : null;
    }

    private static ProblemHttpResult InvalidKey() =>
        TypedResults.Problem(new HttpValidationProblemDetails(new Dictionary<string, string[]>
        {
            [HeaderName] = [$"One value of 1 to {IdempotencyRecord.KeyMaxLength} printable ASCII characters, such as a UUID."],
        })
        {
            Status = StatusCodes.Status400BadRequest,
            Title = "One or more validation errors occurred.",
        });

    /// <summary>SHA-256 of the method, the path with its query and the body; null past <paramref name="maxBodyBytes"/>. The body is left for the endpoint to read.</summary>
    private static async Task<byte[]?> HashRequestAsync(HttpContext http, long maxBodyBytes)
    {
        var request = http.Request;
        if (request.ContentLength > maxBodyBytes)
        {
            return null;
        }
        var sizeLimit = http.Features.Get<IHttpMaxRequestBodySizeFeature>();
        if (sizeLimit is { IsReadOnly: false })
        {
            sizeLimit.MaxRequestBodySize = maxBodyBytes;
        }
        request.EnableBuffering(bufferThreshold: 64 * 1024, bufferLimit: maxBodyBytes);
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        hash.AppendData(Encoding.UTF8.GetBytes($"{request.Method} {request.PathBase}{request.Path}{request.QueryString}\n"));
        var chunk = new byte[16 * 1024];
        try
        {
            int read;
            while ((read = await request.Body.ReadAsync(chunk, http.RequestAborted)) > 0)
            {
                hash.AppendData(chunk, 0, read);
            }
        }
        catch (BadHttpRequestException ex) when (ex.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            return null;
        }
        catch (IOException) when (request.Body.CanSeek && request.Body.Length > maxBodyBytes)
        {
            return null;
        }
        request.Body.Position = 0;
        return hash.GetHashAndReset();
    }

    /// <summary>Whose key it is: the API key (<c>api-key:12</c>) or the person; a key is only ever its caller's.</summary>
    private static string ScopeOf(ClaimsPrincipal user)
    {
        var scope = user.FindFirstValue(ClaimTypes.NameIdentifier) ?? user.Identity?.Name ?? "anonymous";
        return scope.Length <= IdempotencyRecord.ScopeMaxLength
            ? scope
            : "sha256:" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(scope)));
    }

    private static ILogger Logger(HttpContext http) =>
        http.RequestServices.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(IdempotencyKeys));

    /// <summary>An answer from <see cref="IdempotencyStore"/>, or the one just captured, written as it was.</summary>
    private sealed record StoredAnswerResult(StoredAnswer Answer, bool Replayed) : IResult
    {
        public async Task ExecuteAsync(HttpContext http)
        {
            http.Response.StatusCode = Answer.Status;
            if (Answer.Location is { } location)
            {
                http.Response.Headers.Location = location;
            }
            if (Answer.ContentType is { } contentType)
            {
                http.Response.ContentType = contentType;
            }
            if (Replayed)
            {
                http.Response.Headers[ReplayedHeaderName] = "true";
            }
            http.Response.ContentLength = Answer.Body.Length;
            await http.Response.Body.WriteAsync(Answer.Body, http.RequestAborted);
        }
    }

    /// <summary>The header on every operation that takes it, in the OpenAPI document.</summary>
    internal static Task DescribeHeader(OpenApiOperation operation, OpenApiOperationTransformerContext context, CancellationToken ct)
    {
        if (!context.Description.ActionDescriptor.EndpointMetadata.OfType<IdempotencyKeyMetadata>().Any())
        {
            return Task.CompletedTask;
        }
        operation.Parameters ??= [];
        operation.Parameters.Add(new OpenApiParameter
        {
            Name = HeaderName,
            In = ParameterLocation.Header,
            Required = false,
            Description = "A unique value per request, such as a UUID, to retry it safely: the same key with the same request within a " +
                "day answers the first answer again (with Idempotent-Replayed: true) without creating anything twice; with another " +
                "request it answers 422, and while the first is still running 409.",
            Schema = new OpenApiSchema { Type = JsonSchemaType.String, MinLength = 1, MaxLength = IdempotencyRecord.KeyMaxLength },
        });
        operation.Responses ??= [];
        operation.Responses.TryAdd("409", new OpenApiResponse { Description = $"A request with this {HeaderName} is still running; retry after Retry-After." });
        operation.Responses.TryAdd("422", new OpenApiResponse { Description = $"This {HeaderName} was used for another request." });
        return Task.CompletedTask;
    }
}
