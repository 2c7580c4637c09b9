using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
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
