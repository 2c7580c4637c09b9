using System.Reflection;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.Filters;

namespace XenoCrm.Web.Authentication;

/// <summary>
/// A page handler (<c>OnGetExport</c>, say) that needs more than the page: Razor Pages ignores
/// <see cref="AuthorizeAttribute"/> on handler methods, so <see cref="HandlerAuthorizationFilter"/> reads this instead.
/// </summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class RequiresPolicyAttribute(string policy) : Attribute
{
    public string Policy { get; } = policy;
}

/// <summary>A page whose POST handlers every role may use (signing in and out, error pages): the exception to writes needing a marketer.</summary>
[AttributeUsage(AttributeTargets.Class)]
public sealed class AnyRoleMayPostAttribute : Attribute;

/// <summary>
/// Role checks per page handler, applied to every page: a POST handler writes, so it needs <see cref="AuthPolicies.Marketer"/>
/// unless its page says <see cref="AnyRoleMayPostAttribute"/>; any handler may ask for more with
/// <see cref="RequiresPolicyAttribute"/>. A new form is therefore closed to viewers until someone opens it on purpose.
/// A refusal is the cookie scheme's Forbid: the browser lands on the denied page (403).
/// </summary>
public sealed class HandlerAuthorizationFilter : IAsyncPageFilter
{
    public Task OnPageHandlerSelectionAsync(PageHandlerSelectedContext context) => Task.CompletedTask;

    public async Task OnPageHandlerExecutionAsync(PageHandlerExecutingContext context, PageHandlerExecutionDelegate next)
    {
        var user = context.HttpContext.User;
        if (user.Identity?.IsAuthenticated == true && PolicyFor(context) is { } policy)
        {
            var authorization = context.HttpContext.RequestServices.GetRequiredService<IAuthorizationService>();
            if (!(await authorization.AuthorizeAsync(user, policy)).Succeeded)
            {
                context.Result = new ForbidResult();
                return;
            }
        }
        await next();
    }

    private static string? PolicyFor(PageHandlerExecutingContext context)
    {
        if (context.HandlerMethod?.MethodInfo.GetCustomAttribute<RequiresPolicyAttribute>() is { } required)
        {
            return required.Policy;
        }
        var writes = HttpMethods.IsPost(context.HttpContext.Request.Method)
            && context.ActionDescriptor.ModelTypeInfo?.GetCustomAttribute<AnyRoleMayPostAttribute>() is null;
        return writes ? AuthPolicies.Marketer : null;
    }
}
