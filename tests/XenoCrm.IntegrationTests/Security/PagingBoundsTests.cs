using System.Net;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using XenoCrm.IntegrationTests.Infrastructure;
using XenoCrm.Web.ApiKeys;

namespace XenoCrm.IntegrationTests.Security;

/// <summary>A page × pageSize past int's range once wrapped round to the first page; now it is a 400 naming <c>page</c>.</summary>
[Collection(SharedServersDefinition.Name)]
public sealed class PagingBoundsTests(DevelopmentSignInFixture fixture) : IClassFixture<DevelopmentSignInFixture>
{
    [Theory]
    [InlineData("/api/v1/customers?page=2147483647&pageSize=500")]
    [InlineData("/api/v1/orders?page=2147483647&pageSize=500")]
    [InlineData("/api/v1/customers?page=4294968&pageSize=500")]
    public async Task OverflowingPage_Answers400NamingPage(string path)
    {
        await using var scope = fixture.Web.Services.CreateAsyncScope();
        var (_, key) = await ActivatorUtilities.CreateInstance<ApiKeyStore>(scope.ServiceProvider).CreateAsync("paging", "tests", default);
        using var client = fixture.Web.NewBrowser();
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        request.Headers.Add("X-Api-Key", key);

        using var response = await client.SendAsync(request);

        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.BadRequest, $"GET {path}: {(int)response.StatusCode} {body}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        using var problem = JsonDocument.Parse(body);
        var errors = problem.RootElement.GetProperty("errors");
        Assert.True(errors.TryGetProperty("page", out _), $"The problem does not name page: {body}");
        Assert.False(errors.TryGetProperty("pageSize", out _), $"pageSize 500 is allowed: {body}");
    }
}
