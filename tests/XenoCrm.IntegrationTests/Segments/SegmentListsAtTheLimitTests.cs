using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Data.Sqlite;
using XenoCrm.IntegrationTests.Infrastructure;
using XenoCrm.TestServers;

namespace XenoCrm.IntegrationTests.Segments;

/// <summary>
/// A segment of ten <c>in</c> rules of 100 values each, the most a list may hold (issue 11, finding 4): on SQLite it
/// once compiled to nested ORs past the depth SQLite parses, and the list, the page and the size then failed until
/// it was deleted. Saved, listed, read, previewed and counted on the page, on SQLite (the embedded mode) and MariaDB.
/// </summary>
[Collection(SharedServersDefinition.Name)]
public sealed class SegmentListsAtTheLimitTests(SharedServers servers) : IDisposable
{
    private const int Customers = 300;
    private const string SegmentName = "Ten lists of a hundred";
    private readonly TempFolder _folder = new("xenocrm-segment-lists-");

    public void Dispose() => _folder.Dispose();

    private sealed record ListRule(string Field, string[] Values);

    /// <summary>
    /// Ten lists of 100 values, most of which match nobody, in other cases than the customers' (ASCII case is
    /// ignored): together they hold for the even customers from 50 to 99 of <see cref="TestData.Customers"/>.
    /// </summary>
    private static readonly ListRule[] Rules =
    [
        new("city", Padded("PUNE", "Town")),
        new("city", ["pune", "Delhi", .. Padded("Goa", "Village").Skip(2)]),
        new("email_domain", Padded("Shop.Test", "d.test")),
        new("email_domain", Padded("SHOP.TEST", "mail.example")),
        new("name", Enumerable.Range(0, 100).Select(i => $"CUSTOMER {i}").ToArray()),
        new("name", Enumerable.Range(50, 100).Select(i => $"customer {i}").ToArray()),
        new("email", Enumerable.Range(0, 100).Select(i => $"c{2 * i}@shop.test").ToArray()),
        new("email", Enumerable.Range(0, 100).Select(i => $"C{i}@SHOP.TEST").ToArray()),
        new("name", Enumerable.Range(0, 100).Select(i => $"Customer {2 * i}").ToArray()),
        new("city", Padded("Pune", "Hamlet")),
    ];

    private static string[] Padded(string first, string prefix) =>
        [first, .. Enumerable.Range(1, 99).Select(i => $"{prefix} {i.ToString(CultureInfo.InvariantCulture)}")];

    private static object Tree() => new { op = "and", rules = Rules.Select(r => new { field = r.Field, @operator = "in", value = r.Values }) };

    /// <summary>What the rules select, worked out in memory as the design defines them.</summary>
    private static int Expected(IEnumerable<CustomerIn> customers) => customers.Count(c => Rules.All(rule =>
    {
        var value = rule.Field switch
        {
            "city" => c.City,
            "name" => c.Name,
            "email" => c.Email,
            _ => c.Email[(c.Email.IndexOf('@', StringComparison.Ordinal) + 1)..],
        };
        return rule.Values.Contains(value, StringComparer.OrdinalIgnoreCase);
    }));

    [Fact]
    public async Task Segment_OfTenListsOfAHundred_SavesListsAndCounts_OnSqliteInTheEmbeddedMode()
    {
        await using var web = await EmbeddedWeb.StartAsync(_folder.Path);
        using var api = web.ApiClient();
        var customers = TestData.Customers(Customers);
        await TestData.PostInBatchesAsync(api, "/api/v1/customers", customers);
        await WaitForSqliteCountAsync(Path.Combine(_folder.Path, "xenocrm.db"), "SELECT COUNT(*) FROM customers WHERE email LIKE '%@shop.test'", Customers);

        // The embedded mode's development sign-in, with the demo admin it offers on loopback.
        using var browser = await DevelopmentSignInClient.CreateAsync(web.BaseUri, "admin@example.com");
        await AssertSavedListedAndCountedAsync(api, browser, Expected(customers), web.Process);
    }

    [Fact]
    public async Task Segment_OfTenListsOfAHundred_SavesListsAndCounts_OnMariaDb()
    {
        await using var stack = await DistributedDeployment.StartAsync(servers.MariaDb, servers.RabbitMq, servers.Redis);
        var customers = TestData.Customers(Customers);
        await stack.StoreCustomersAsync(customers);

        using var browser = await DevelopmentSignInClient.CreateAsync(stack.Api.BaseAddress!, InProcessWeb.AdminEmail);
        await AssertSavedListedAndCountedAsync(stack.Api, browser, Expected(customers), stack.Web);
    }

    private static async Task AssertSavedListedAndCountedAsync(HttpClient api, HttpClient browser, int expected, AppProcess web)
    {
        Assert.Equal(25, expected);
        long id;
        using (var created = await api.PostAsJsonAsync("/api/v1/segments", new { name = SegmentName, rules = Tree() }))
        {
            var body = await ReadJsonAsync(created, HttpStatusCode.Created, web);
            id = body.GetProperty("id").GetInt64();
            Assert.Equal(expected, body.GetProperty("size").GetInt32());
        }
        using (var list = await api.GetAsync("/api/v1/segments"))
        {
            var segment = Assert.Single((await ReadJsonAsync(list, HttpStatusCode.OK, web)).EnumerateArray());
            Assert.Equal(SegmentName, segment.GetProperty("name").GetString());
            Assert.Equal(expected, segment.GetProperty("size").GetInt32());
        }
        using (var read = await api.GetAsync($"/api/v1/segments/{id}"))
        {
            Assert.Equal(expected, (await ReadJsonAsync(read, HttpStatusCode.OK, web)).GetProperty("size").GetInt32());
        }
        using (var preview = await api.PostAsJsonAsync("/api/v1/segments/preview", new { rules = Tree() }))
        {
            Assert.Equal(expected, (await ReadJsonAsync(preview, HttpStatusCode.OK, web)).GetProperty("count").GetInt32());
        }
        using (var page = await browser.GetAsync("/segments"))
        {
            var html = await page.Content.ReadAsStringAsync();
            Assert.True(page.StatusCode == HttpStatusCode.OK, $"GET /segments: {(int)page.StatusCode} {html}");
            Assert.Contains(SegmentName, html, StringComparison.Ordinal);
        }
        using (var size = await browser.GetAsync($"/segments?handler=Size&id={id}"))
        {
            Assert.Equal(expected, (await ReadJsonAsync(size, HttpStatusCode.OK, web)).GetProperty("count").GetInt32());
        }
    }

    private static async Task<JsonElement> ReadJsonAsync(HttpResponseMessage response, HttpStatusCode expected, AppProcess web)
    {
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == expected,
            $"{response.RequestMessage?.Method} {response.RequestMessage?.RequestUri}: {(int)response.StatusCode} {text}\n--- Web ---\n{Tail(web.Output)}");
        using var document = JsonDocument.Parse(text);
        return document.RootElement.Clone();
    }

    private static string Tail(string text) => text.Length > 6000 ? text[^6000..] : text;


    private static async Task WaitForSqliteCountAsync(string file, string sql, long expected)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromMinutes(1);
        long actual = -1;
        do
        {
            try
            {
                await using var connection = new SqliteConnection($"Data Source={file};Mode=ReadOnly;Pooling=False");
                await connection.OpenAsync();
                await using var command = connection.CreateCommand();
                command.CommandText = sql;
                actual = Convert.ToInt64(await command.ExecuteScalarAsync(), CultureInfo.InvariantCulture);
                if (actual == expected)
                {
                    return;
                }
            }
            catch (SqliteException e) when (e.SqliteErrorCode == SQLitePCL.raw.SQLITE_BUSY)
            {
                // The app is writing; read again.
            }
            await Task.Delay(200);
        }
        while (DateTime.UtcNow < deadline);
        Assert.Fail($"'{sql}' is {actual}, expected {expected}.");
    }
}
