using XenoCrm.Web.Authentication;

namespace XenoCrm.Web.Api;

public static class MachineApi
{
    /// <summary>
    /// The machine API, as a table of its features: every endpoint under <c>/api/v1</c>, each needing an API key
    /// and held to the key's request rate.
    /// </summary>
    public static RouteGroupBuilder MapMachineApi(this IEndpointRouteBuilder app)
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
