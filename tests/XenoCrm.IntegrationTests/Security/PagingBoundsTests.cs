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
        using var response = await GetAsync(path);

        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.BadRequest, $"GET {path}: {(int)response.StatusCode} {body}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        using var problem = JsonDocument.Parse(body);
        var errors = problem.RootElement.GetProperty("errors");
        Assert.True(errors.TryGetProperty("page", out _), $"The problem does not name page: {body}");
        Assert.False(errors.TryGetProperty("pageSize", out _), $"pageSize 500 is allowed: {body}");
    }

    /// <summary>
    /// Found by the API fuzzer (ApiFuzzTests): a query number that is no number, or too large for its type, or given twice,
    /// was refused by the framework's binding with a bare 400 that named nothing.
    /// </summary>
    [Theory]
    [InlineData("/api/v1/customers?page=abc", "page")]
    [InlineData("/api/v1/customers?pageSize=2147483648", "pageSize")]
    [InlineData("/api/v1/campaigns?page=1&page=2", "page")]
    [InlineData("/api/v1/orders?customerId=abc", "customerId")]
    [InlineData("/api/v1/orders?customerId=9223372036854775808", "customerId")]
    [InlineData("/api/v1/customers?pageSize", "pageSize")]
    [InlineData("/api/v1/orders?customerId=", "customerId")]
    public async Task QueryNumberThatIsNoNumber_Answers400NamingIt(string path, string parameter)
    {
        using var response = await GetAsync(path);

        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.BadRequest, $"GET {path}: {(int)response.StatusCode} {body}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        using var problem = JsonDocument.Parse(body);
        Assert.True(problem.RootElement.GetProperty("errors").TryGetProperty(parameter, out _), $"The problem does not name {parameter}: {body}");
    }

    [Theory]
    [InlineData("/api/v1/customers?page=%201%20&pageSize=%2B5")]
    [InlineData("/api/v1/orders?customerId=-1&page=1")]
    public async Task QueryNumberTheBindingReads_IsStillRead(string path)
    {
        using var response = await GetAsync(path);

        Assert.True(response.StatusCode == HttpStatusCode.OK, $"GET {path}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
    }

    private async Task<HttpResponseMessage> GetAsync(string path)
    {
        await using var scope = fixture.Web.Services.CreateAsyncScope();
        var (_, key) = await ActivatorUtilities.CreateInstance<ApiKeyStore>(scope.ServiceProvider).CreateAsync("paging", "tests", default);
        using var client = fixture.Web.NewBrowser();
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        request.Headers.Add("X-Api-Key", key);
        return await client.SendAsync(request);
    }
}
