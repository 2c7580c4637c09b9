using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Http.Resilience;
using Polly;
using XenoCrm.ServiceDefaults.Messaging;

namespace XenoCrm.Core.Campaigns.Sending;

/// <summary>Posts a chunk to the Delivery service's batch API (distributed mode).</summary>
public sealed class HttpDeliveryGateway(HttpClient http) : IDeliveryGateway
{
    private sealed record BatchRequest(IReadOnlyList<OutboundMessage> Messages);

    public async Task<DeliverySubmission> SubmitAsync(IReadOnlyList<OutboundMessage> messages, CancellationToken ct)
    {
        HttpResponseMessage response;
        try
        {
            response = await http.PostAsJsonAsync("api/v1/messages/batch", new BatchRequest(messages), MessageJson.Options, ct);
        }
        catch (Exception ex) when (ex is HttpRequestException || (ex is TaskCanceledException && !ct.IsCancellationRequested))
        {
            throw new DeliveryUnavailableException($"Delivery did not answer: {ex.Message}", ex);
        }
        using (response)
        {
            if (response.StatusCode == HttpStatusCode.Accepted)
            {
                return await response.Content.ReadFromJsonAsync<DeliverySubmission>(MessageJson.Options, ct)
                    ?? throw new DeliveryUnavailableException("Delivery answered 202 without a body.");
            }
            // 429 and 5xx are transient; anything else is a bug on one side, and retrying it is still the safe choice.
            throw new DeliveryUnavailableException($"Delivery answered {(int)response.StatusCode} {response.ReasonPhrase}.");
        }
    }

    /// <summary>Retries of one submission, for a blip (a refused connection, a 503 while Delivery restarts).</summary>
    public const int Retries = 2;

    /// <summary>
    /// Few retries, quickly: a chunk that still fails goes back to Hangfire, which retries the whole job later, and
    /// Delivery answers a resubmitted id with its first outcome, so retrying a POST never sends a message twice.
    /// Retry-After is not waited for: a long one would spend the chunk's timeout, and Hangfire's retry waits anyway.
    /// <see cref="HttpClient.Timeout"/> still bounds the submission, retries included.
    /// </summary>
    public static IHttpClientBuilder AddResilience(IHttpClientBuilder builder, TimeSpan? firstDelay = null)
    {
        builder.AddResilienceHandler("delivery", pipeline => pipeline.AddRetry(new HttpRetryStrategyOptions
        {
            MaxRetryAttempts = Retries,
            BackoffType = DelayBackoffType.Exponential,
            UseJitter = true,
            Delay = firstDelay ?? TimeSpan.FromMilliseconds(200),
            ShouldRetryAfterHeader = false,
        }));
        return builder;
    }

    public static void Configure(HttpClient http, DeliveryOptions options)
    {
        http.BaseAddress = options.BaseUrl;
        http.Timeout = options.Timeout;
        if (!string.IsNullOrEmpty(options.ApiKey))
        {
            http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", options.ApiKey);
        }
    }
}
