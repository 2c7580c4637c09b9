using System.Globalization;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.AspNetCore.Mvc.RazorPages.Infrastructure;
using Microsoft.AspNetCore.Routing;
using Microsoft.AspNetCore.Routing.Patterns;
using Microsoft.AspNetCore.StaticAssets;
using Microsoft.Extensions.DependencyInjection;

namespace XenoCrm.IntegrationTests.Security;

/// <summary>One request an endpoint of the running app answers: a method, a path with sample route values, and the page handler if any.</summary>
/// <param name="Route">The endpoint's route pattern, normalized to start with a slash and in lower case: the key of the allow-lists.</param>
/// <param name="IsStaticAsset">A file of wwwroot, mapped by MapStaticAssets.</param>
public sealed record EndpointCall(string Method, string Path, string Route, bool IsPage, bool IsStaticAsset, string DisplayName)
{
    public override string ToString() => $"{Method} {Path} ({DisplayName})";
}

/// <summary>
/// Every request the running app has an endpoint for, read from its <see cref="EndpointDataSource"/>
/// rather than from a list kept by hand, so that an endpoint added tomorrow is covered tomorrow.
/// </summary>
internal static class AppEndpoints
{
    /// <summary>Methods tried on an endpoint that accepts any (health checks, the Hangfire dashboard).</summary>
    private static readonly string[] AnyMethod = [HttpMethods.Get, HttpMethods.Post];

    public static async Task<IReadOnlyList<EndpointCall>> ListAsync(IServiceProvider services)
    {
        var pageLoader = services.GetRequiredService<PageLoader>();
        var calls = new List<EndpointCall>();
        foreach (var endpoint in services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>())
        {
            var route = "/" + (endpoint.RoutePattern.RawText ?? "").TrimStart('/').ToLowerInvariant();
            var path = SamplePath(endpoint.RoutePattern);
            var name = endpoint.DisplayName ?? route;
            if (endpoint.Metadata.GetMetadata<PageActionDescriptor>() is { } page)
            {
                var compiled = page as CompiledPageActionDescriptor ?? await pageLoader.LoadAsync(page, endpoint.Metadata);
                // A page answers GET even without an OnGet handler; each named handler is reached with ?handler=.
                calls.Add(new EndpointCall(HttpMethods.Get, path, route, IsPage: true, IsStaticAsset: false, name));
                foreach (var handler in compiled.HandlerMethods)
                {
                    var method = handler.HttpMethod.ToUpperInvariant();
                    if (method == HttpMethods.Get && handler.Name is null)
                    {
                        continue;
                    }
                    var handlerPath = handler.Name is null ? path : $"{path}?handler={Uri.EscapeDataString(handler.Name)}";
                    calls.Add(new EndpointCall(method, handlerPath, route, IsPage: true, IsStaticAsset: false, $"{name} {handler.MethodInfo.Name}"));
                }
                continue;
            }
            var methods = endpoint.Metadata.GetMetadata<IHttpMethodMetadata>()?.HttpMethods is { Count: > 0 } declared ? declared : AnyMethod;
            var isStaticAsset = endpoint.Metadata.GetMetadata<StaticAssetDescriptor>() is not null;
            calls.AddRange(methods.Select(m => new EndpointCall(m.ToUpperInvariant(), path, route, IsPage: false, isStaticAsset, name)));
        }
        return calls.DistinctBy(c => (c.Method, c.Path)).ToList();
    }

    /// <summary>The pattern with every parameter replaced by a value its constraints accept.</summary>
    private static string SamplePath(RoutePattern pattern)
    {
        var segments = pattern.PathSegments.Select(segment => string.Concat(segment.Parts.Select(part => part switch
        {
            RoutePatternLiteralPart literal => literal.Content,
            RoutePatternSeparatorPart separator => separator.Content,
            RoutePatternParameterPart parameter => SampleValue(parameter),
            _ => throw new InvalidOperationException($"Unknown route part {part.GetType().Name} in {pattern.RawText}"),
        })));
        // Paths match case-insensitively; lower case is how the app links to them.
        return ("/" + string.Join('/', segments)).ToLowerInvariant();
    }

    private static string SampleValue(RoutePatternParameterPart parameter)
    {
        if (parameter.IsCatchAll)
        {
            return "sample/path";
        }
        var constraints = parameter.ParameterPolicies.Select(p => p.Content ?? "").ToList();
        if (constraints.Any(c => c is "int" or "long" || c.StartsWith("min", StringComparison.Ordinal) || c.StartsWith("max", StringComparison.Ordinal) || c.StartsWith("range", StringComparison.Ordinal)))
        {
            return "1";
        }
        if (constraints.Contains("guid"))
        {
            return "8f6a1c2e-3b4d-4e5f-8a9b-0c1d2e3f4a5b";
        }
        if (constraints.Contains("bool"))
        {
            return "true";
        }
        if (constraints.Any(c => c is "decimal" or "double" or "float"))
        {
            return "1.5";
        }
        if (constraints.Contains("datetime"))
        {
            return "2024-01-01";
        }
        return parameter.Default is { } value ? Convert.ToString(value, CultureInfo.InvariantCulture)! : "sample";
    }
}
