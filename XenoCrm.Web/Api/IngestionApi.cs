using XenoCrm.Web.Authentication;

namespace XenoCrm.Web.Api;

public static class IngestionApi
{
    /// <summary>The machine API: every endpoint under <c>/api/v1</c> needs an API key.</summary>
    public static RouteGroupBuilder MapIngestionApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/v1").RequireAuthorization(ApiKeyAuthentication.Policy).RequireRateLimiting(ApiRateLimiting.Policy);
        api.MapCustomersApi();
        api.MapOrdersApi();
        api.MapSegmentsApi();
        api.MapCampaignsApi();
        // Without this, an unknown API path would fall through to the pages' sign-in redirect.
        api.MapMethods("/{**path}", [HttpMethods.Get, HttpMethods.Post, HttpMethods.Put, HttpMethods.Delete, HttpMethods.Patch],
                (string path) => TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, title: $"No API endpoint at /api/v1/{path}."))
            .ExcludeFromDescription();
        return api;
    }
}
