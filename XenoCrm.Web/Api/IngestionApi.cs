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
        return api;
    }
}
