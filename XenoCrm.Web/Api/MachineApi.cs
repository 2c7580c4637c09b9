using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing.Patterns;
using XenoCrm.Web.Authentication;

namespace XenoCrm.Web.Api;

public static class MachineApi
{
    // The order Allow lists methods in, reads first.
    private static readonly string[] MethodOrder = [HttpMethods.Get, HttpMethods.Post, HttpMethods.Put, HttpMethods.Delete, HttpMethods.Patch];

    /// <summary>
    /// The machine API, as a table of its features: every endpoint under <c>/api/v1</c>, each needing an API key
    /// and held to the key's request rate.
    /// </summary>
    public static RouteGroupBuilder MapMachineApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/v1").RequireAuthorization(ApiKeyAuthentication.Policy).RequireRateLimiting(ApiRateLimiting.Policy);
        api.AddEndpointFilterFactory(QueryNumbers.Validate);
        api.MapCustomersApi();
        api.MapOrdersApi();
        api.MapSegmentsApi();
        api.MapCampaignsApi();
        // Every method, so that an API client gets a problem document for what no endpoint answers: without this, an unknown
        // path, or a method the path does not take (HEAD, OPTIONS…), would fall through to the pages' sign-in redirect.
        api.Map("/{**path}", NoEndpoint).ExcludeFromDescription();
        return api;
    }

    /// <summary>405 with Allow when the path is an endpoint's and only the method is wrong, else 404.</summary>
    private static ProblemHttpResult NoEndpoint(HttpContext http, EndpointDataSource endpoints, string path)
    {
        var allowed = MethodsAt(endpoints, http.Request.Path);
        // A method the path takes reached here because its constraint refused the value (/segments/abc): nothing is there.
        if (allowed.Count == 0 || allowed.Contains(http.Request.Method, StringComparer.OrdinalIgnoreCase))
        {
            return TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, title: $"No API endpoint at /api/v1/{path}.");
        }
        http.Response.Headers.Allow = string.Join(", ", allowed);
        return TypedResults.Problem(statusCode: StatusCodes.Status405MethodNotAllowed, title: $"{http.Request.Method} is not allowed at /api/v1/{path}.",
            detail: $"This path answers {string.Join(", ", allowed)}.");
    }

    /// <summary>
    /// The methods of the API endpoints whose route fits <paramref name="path"/> segment by segment, parameters matching any
    /// value (so /segments/abc still answers 404 for GET, whose constraint refused it, and 405 for PATCH). Only reached for
    /// requests no endpoint took, so the walk over the endpoints costs nothing on the API's way.
    /// </summary>
    private static List<string> MethodsAt(EndpointDataSource endpoints, PathString path)
    {
        var segments = (path.Value ?? "").Split('/', StringSplitOptions.RemoveEmptyEntries);
        var fitting = endpoints.Endpoints.OfType<RouteEndpoint>()
            .Where(e => !e.RoutePattern.Parameters.Any(p => p.IsCatchAll) && Fits(e.RoutePattern, segments))
            .ToList();
        // A literal route outranks a parameter, as in routing: /segments/preview is preview's (POST), not /segments/{id}'s.
        if (fitting.Any(e => e.RoutePattern.Parameters.Count == 0))
        {
            fitting.RemoveAll(e => e.RoutePattern.Parameters.Count > 0);
        }
        return fitting
            .SelectMany(e => e.Metadata.GetMetadata<IHttpMethodMetadata>()?.HttpMethods ?? [])
            .Distinct(StringComparer.OrdinalIgnoreCase)
            .OrderBy(m => Array.IndexOf(MethodOrder, m.ToUpperInvariant()))
            .ToList();
    }

    private static bool Fits(RoutePattern pattern, string[] segments) =>
        pattern.PathSegments.Count == segments.Length
        && pattern.PathSegments.Zip(segments).All(pair => pair.First.Parts switch
        {
            [RoutePatternLiteralPart literal] => string.Equals(literal.Content, pair.Second, StringComparison.OrdinalIgnoreCase),
            [RoutePatternParameterPart] => true,
            _ => false,
        });
}
