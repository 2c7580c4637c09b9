using System.Globalization;
using System.Reflection;
using Microsoft.AspNetCore.Mvc;

namespace XenoCrm.Web.Api;

/// <summary>
/// The whole numbers an endpoint reads from the query (<c>page</c>, <c>pageSize</c>, <c>customerId</c>): a value that
/// is not one (<c>page=abc</c>, <c>pageSize=2147483648</c>, <c>page=1&amp;page=2</c>) is a 400 naming the parameter, as
/// every other mistake is. The framework's binding would refuse it too, but with a bare 400 that names nothing.
/// </summary>
/// <remarks>
/// An endpoint filter, because filters run even when binding failed (the handler then does not): it checks the
/// query the way the binding reads it (one value, <see cref="NumberStyles.Integer"/>, invariant culture; an empty value
/// is refused, even for a nullable parameter) and answers before the binding's empty 400 is written.
/// </remarks>
internal static class QueryNumbers
{
    public static EndpointFilterDelegate Validate(EndpointFilterFactoryContext context, EndpointFilterDelegate next)
    {
        var numbers = context.MethodInfo.GetParameters()
            .Where(p => p.Name is not null && p.GetCustomAttribute<FromRouteAttribute>() is null && MaxOf(p.ParameterType) is not null)
            .Select(p => new QueryNumber(p.Name!, MaxOf(p.ParameterType)!))
            .ToList();
        if (numbers.Count == 0)
        {
            return next;
        }
        return invocation =>
        {
            var http = invocation.HttpContext;
            Dictionary<string, string[]>? errors = null;
            foreach (var number in numbers)
            {
                // A route value ({id:long}) is bound from the path, whose constraint has already checked it.
                if (http.Request.RouteValues.ContainsKey(number.Name) || !http.Request.Query.TryGetValue(number.Name, out var values)
                    || Error(number, values) is not { } error)
                {
                    continue;
                }
                (errors ??= [])[number.Name] = [error];
            }
            return errors is null ? next(invocation) : ValueTask.FromResult<object?>(TypedResults.ValidationProblem(errors));
        };
    }

    private sealed record QueryNumber(string Name, string Max);

    private static string? Error(QueryNumber number, Microsoft.Extensions.Primitives.StringValues values)
    {
        if (values.Count > 1)
        {
            return $"Give {number.Name} once; it was given {values.Count} times.";
        }
        return long.TryParse(values.ToString(), NumberStyles.Integer, CultureInfo.InvariantCulture, out var value) && (number.Max != IntMax || value is >= int.MinValue and <= int.MaxValue)
            ? null
            : $"Must be a whole number, at most {number.Max}.";
    }

    private static readonly string IntMax = int.MaxValue.ToString(CultureInfo.InvariantCulture);

    /// <summary>The largest value of a whole-number type, as text; null for any other type.</summary>
    private static string? MaxOf(Type type) => (Nullable.GetUnderlyingType(type) ?? type) switch
    {
        var t when t == typeof(int) => IntMax,
        var t when t == typeof(long) => long.MaxValue.ToString(CultureInfo.InvariantCulture),
        _ => null,
    };
}
