using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using XenoCrm.IntegrationTests.Infrastructure;
using XenoCrm.TestServers;

namespace XenoCrm.IntegrationTests.EmbeddedMode;

/// <summary>The newcomer's first five minutes: no configuration, no servers, one process.</summary>
public sealed class EmbeddedModeTests : IDisposable
{
    private readonly TempFolder _folder = new("xenocrm-embedded-");
    private static readonly Dictionary<string, string?> NoConfiguration = new()
    {
        ["ConnectionStrings__Crm"] = null,
        ["ConnectionStrings__RabbitMq"] = null,
        ["ConnectionStrings__Redis"] = null,
    };

    public void Dispose() => _folder.Dispose();

    [Fact]
    public async Task PostedOrder_IsReadableThroughTheApiWithinASecond_WithNoConfigurationAtAll()
    {
        var (exitCode, key, stdErr) = await AppProcess.RunToEndInAsync(_folder.Path, "XenoCrm.Web", NoConfiguration, TimeSpan.FromSeconds(60), "api-keys", "create", "newcomer");
        Assert.True(exitCode == 0, stdErr);
        var port = FreePort.Next();
        await using var web = AppProcess.StartIn(_folder.Path, "XenoCrm.Web", NoConfiguration, "--urls", $"http://127.0.0.1:{port}");
        await web.WaitForHttpOkAsync($"http://127.0.0.1:{port}/health/live", TimeSpan.FromSeconds(60));
        using var api = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}") };
        api.DefaultRequestHeaders.Add("X-Api-Key", key.Trim());

        using (var customer = await api.PostAsJsonAsync("/api/v1/customers", new { externalId = "c-1", email = "asha@example.com", name = "Asha" }))
        {
            Assert.Equal(HttpStatusCode.Accepted, customer.StatusCode);
        }
        await WaitUntilAsync(api, "/api/v1/customers?externalId=c-1", TimeSpan.FromSeconds(5));
        var watch = Stopwatch.StartNew();
        using (var order = await api.PostAsJsonAsync("/api/v1/orders", new { externalId = "o-1", customerExternalId = "c-1", amount = 1499.50m }))
        {
            Assert.Equal(HttpStatusCode.Accepted, order.StatusCode);
        }
        var id = await WaitUntilAsync(api, "/api/v1/orders?externalId=o-1", TimeSpan.FromSeconds(5));
        watch.Stop();

        using var stored = JsonDocument.Parse(await api.GetStringAsync($"/api/v1/orders/{id}"));
        Assert.Equal("o-1", stored.RootElement.GetProperty("externalId").GetString());
        Assert.Equal(1499.50m, stored.RootElement.GetProperty("amount").GetDecimal());
        using var owner = JsonDocument.Parse(await api.GetStringAsync("/api/v1/customers?externalId=c-1"));
        Assert.Equal(1, owner.RootElement.GetProperty("items")[0].GetProperty("orderCount").GetInt32());
        Assert.True(File.Exists(Path.Combine(_folder.Path, "xenocrm.db")), "The embedded mode keeps its data in xenocrm.db in the working folder.");
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(5), $"The order took {watch.Elapsed.TotalSeconds:0.0} s to appear.");
    }

    /// <summary>Polls a filtered list until it holds one item and returns that item's id.</summary>
    private static async Task<long> WaitUntilAsync(HttpClient api, string path, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            using var page = JsonDocument.Parse(await api.GetStringAsync(path));
            var items = page.RootElement.GetProperty("items");
            if (items.GetArrayLength() == 1)
            {
                return items[0].GetProperty("id").GetInt64();
            }
            Assert.True(DateTime.UtcNow < deadline, $"{path} stayed empty for {timeout.TotalSeconds} s.");
            await Task.Delay(20);
        }
    }
}
