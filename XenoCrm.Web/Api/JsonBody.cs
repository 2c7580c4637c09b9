using System.Text.Json;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Http.HttpResults;

namespace XenoCrm.Web.Api;

/// <summary>
/// Reads a request body as one JSON document within bounds: 415 unless JSON, 413 past
/// <c>maxBytes</c> (declared or streamed), 400 for malformed JSON or nesting past <c>maxDepth</c>.
/// </summary>
internal static class JsonBody
{
    /// <summary>Exactly one of the three is set; the caller disposes the document.</summary>
    public sealed record Read(JsonDocument? Document, ProblemHttpResult? Refused, ValidationProblem? Invalid);

    public static async Task<Read> ReadAsync(HttpContext http, long maxBytes, int maxDepth, string tooLargeDetail)
    {
        var request = http.Request;
        if (!request.HasJsonContentType())
        {
            return new(null, TypedResults.Problem(statusCode: StatusCodes.Status415UnsupportedMediaType,
                title: "Unsupported content type.", detail: "Send the body as application/json."), null);
        }
        var tooLarge = TypedResults.Problem(statusCode: StatusCodes.Status413PayloadTooLarge, title: "The body is too large.", detail: tooLargeDetail);
        if (request.ContentLength > maxBytes)
        {
            return new(null, tooLarge, null);
        }
        var sizeLimit = http.Features.Get<IHttpMaxRequestBodySizeFeature>();
        if (sizeLimit is { IsReadOnly: false })
        {
            sizeLimit.MaxRequestBodySize = maxBytes;
        }
        try
        {
            return new(await JsonDocument.ParseAsync(request.Body, new JsonDocumentOptions { MaxDepth = maxDepth }, http.RequestAborted), null, null);
        }
        catch (BadHttpRequestException ex) when (ex.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            return new(null, tooLarge, null);
        }
        catch (JsonException ex)
        {
            return new(null, null, TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["$"] = [$"The body is not valid JSON: {ex.Message}"] }));
        }
    }
}
