using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Playwright;
using XenoCrm.TestServers;

namespace XenoCrm.BrowserTests;

/// <summary>
/// XenoCrm.Web in its embedded mode (SQLite file in a temporary folder, in-process bus, development
/// sign-in, <c>example.com</c> allowed and <c>admin@example.com</c> an admin), seeded through the real
/// REST API on top of the demo customers of its first start, and one headless Chromium in which each
/// test opens its own context.
/// </summary>
public sealed class EmbeddedCrm : IAsyncLifetime
{
    public const string AdminEmail = "admin@example.com";
    public const string NonAdminEmail = "ann@example.com";

    /// <summary>Every seeded customer's email ends with this, so a search for it lists them alone, whatever else the database holds.</summary>
    public const string SeedEmailDomain = "zephyr-shop.test";

    public const string HostileName = "<script>alert(1)</script> \"O'Brien\"";

    public static readonly SeededCustomer Asha = new("bt-asha", $"asha.rao@{SeedEmailDomain}", "Asha Zephyrine Rao", "Pune", "India", [new("bt-o3", 3500.50m)]);
    public static readonly SeededCustomer Meera = new("bt-meera", $"meera.iyer@{SeedEmailDomain}", "Meera Iyer", "Chennai", "India", [new("bt-o1", 5000m), new("bt-o2", 4000m)]);
    public static readonly SeededCustomer Ravi = new("bt-ravi", $"ravi.kumar@{SeedEmailDomain}", "Ravi Kumar", "Delhi", "India", [new("bt-o4", 1200m)]);
    public static readonly SeededCustomer Hostile = new("bt-hostile", $"obrien@{SeedEmailDomain}", HostileName, "Dublin", "Ireland", []);

    /// <summary>The seeded customers, highest total spend first.</summary>
    public static readonly IReadOnlyList<SeededCustomer> BySpend = [Meera, Asha, Ravi, Hostile];

    private static readonly TimeSpan _startTimeout = TimeSpan.FromSeconds(60);
    private static readonly TimeSpan _seedTimeout = TimeSpan.FromSeconds(30);

    // Chromium in a container without a display, a GPU, a user namespace or a network.
    private static readonly string[] _chromiumArgs =
    [
        "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic",
    ];

    private readonly Dictionary<string, long> _customerIds = [];
    private AppProcess? _app;
    private IPlaywright? _playwright;
    private IBrowser? _browser;

    public EmbeddedCrm()
    {
        Folder = Path.Combine(Path.GetTempPath(), "xenocrm-browser-tests", $"run-{Environment.ProcessId}-{Guid.NewGuid():N}"[..32]);
        BaseUrl = $"http://127.0.0.1:{FreePort.Next()}";
        Api = new HttpClient { BaseAddress = new Uri(BaseUrl), Timeout = TimeSpan.FromSeconds(15) };
    }

    /// <summary>The working directory of the app, where the embedded mode keeps <c>xenocrm.db</c>.</summary>
    public string Folder { get; }

    public string BaseUrl { get; }

    /// <summary>For calls made the way a shop's system makes them; each request carries its own key.</summary>
    public HttpClient Api { get; }

    public IBrowser Browser => _browser ?? throw new InvalidOperationException("Chromium has not been launched.");

    /// <summary>The end of what the app wrote to stdout and stderr, for failure messages.</summary>
    public string AppOutput => _app is null ? "(the app was not started)" : Tail(_app.Output, 8000);

    /// <summary>The embedded mode: every inherited connection string removed, so no server is used.</summary>
    private static Dictionary<string, string?> EmbeddedEnvironment => new()
    {
        ["ConnectionStrings__Crm"] = null,
        ["ConnectionStrings__RabbitMq"] = null,
        ["ConnectionStrings__Redis"] = null,
        ["Delivery__BaseUrl"] = null,
    };

    public long CustomerId(SeededCustomer customer) => _customerIds[customer.ExternalId];

    public async Task InitializeAsync()
    {
        try
        {
            Directory.CreateDirectory(Folder);
            var seedKey = await CreateApiKeyWithCommandAsync();
            _app = AppProcess.StartIn(Folder, "XenoCrm.Web", EmbeddedEnvironment, "--urls", BaseUrl);
            await _app.WaitForHttpOkAsync($"{BaseUrl}/health/live", _startTimeout);
            await SeedAsync(seedKey);
            await LaunchChromiumAsync();
        }
        catch
        {
            // Every test of the class fails with this exception; the app and the browser must not outlive it.
            await DisposeAsync();
            throw;
        }
    }

    public async Task DisposeAsync()
    {
        if (_browser is not null)
        {
            await _browser.CloseAsync();
            _browser = null;
        }
        _playwright?.Dispose();
        _playwright = null;
        if (_app is not null)
        {
            await _app.DisposeAsync();
        }
        Api.Dispose();
        try
        {
            if (Directory.Exists(Folder))
            {
                Directory.Delete(Folder, recursive: true);
            }
        }
        catch (IOException)
        {
            // Best effort: a leftover folder in /tmp breaks nothing.
        }
    }

    private static string Tail(string text, int characters) =>
        "--- XenoCrm.Web output ---\n" + (text.Length <= characters ? text : "…" + text[^characters..]) + "\n--- end of output ---";

    private async Task<string> CreateApiKeyWithCommandAsync()
    {
        var (exitCode, stdout, stderr) = await AppProcess.RunToEndInAsync(
            Folder, "XenoCrm.Web", EmbeddedEnvironment, _startTimeout, "api-keys", "create", "browser-tests");
        var key = stdout.Trim();
        if (exitCode != 0 || key.Length == 0 || key.Any(char.IsWhiteSpace))
        {
            throw new InvalidOperationException(
                $"`XenoCrm.Web api-keys create browser-tests` should exit 0 and print the key alone on stdout; it exited {exitCode}.\n" +
                $"--- stdout ---\n{stdout}\n--- stderr ---\n{stderr}");
        }
        return key;
    }

    private async Task SeedAsync(string key)
    {
        SeededCustomer[] customers = [Asha, Meera, Ravi, Hostile];
        await PostAsync("/api/v1/customers", key, new
        {
            items = customers.Select(c => new { externalId = c.ExternalId, email = c.Email, name = c.Name, city = c.City, country = c.Country }),
        });
        foreach (var customer in customers)
        {
            var stored = await WaitForCustomerAsync(key, customer, c => true);
            _customerIds[customer.ExternalId] = stored.GetProperty("id").GetInt64();
        }

        // Orders after their customers: an order whose customer has not arrived waits and may end as a dead letter.
        // Newer than every demo order of the first start (none is later than the start), so that the orders
        // list, newest first, shows these on its first page.
        var orderedAt = DateTime.UtcNow.AddSeconds(-10);
        await PostAsync("/api/v1/orders", key, new
        {
            items = customers.SelectMany(c => c.Orders.Select((o, i) => new
            {
                externalId = o.ExternalId,
                customerExternalId = c.ExternalId,
                amount = o.Amount,
                orderedAt = orderedAt.AddSeconds(i),
            })),
        });
        foreach (var customer in customers)
        {
            await WaitForCustomerAsync(key, customer, c =>
                c.GetProperty("orderCount").GetInt32() == customer.Orders.Count && c.GetProperty("totalSpend").GetDecimal() == customer.TotalSpend);
        }
    }

    private async Task PostAsync(string path, string key, object body)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = JsonContent.Create(body) };
        request.Headers.Add("X-Api-Key", key);
        using var response = await Api.SendAsync(request);
        if (response.StatusCode != HttpStatusCode.Accepted)
        {
            throw new InvalidOperationException(
                $"POST {path} answered {(int)response.StatusCode} instead of 202: {await response.Content.ReadAsStringAsync()}\n{AppOutput}");
        }
    }

    private async Task<JsonElement> WaitForCustomerAsync(string key, SeededCustomer customer, Func<JsonElement, bool> done)
    {
        var stopwatch = Stopwatch.StartNew();
        var last = "no answer yet";
        while (stopwatch.Elapsed < _seedTimeout)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, $"/api/v1/customers?externalId={Uri.EscapeDataString(customer.ExternalId)}");
            request.Headers.Add("X-Api-Key", key);
            using var response = await Api.SendAsync(request);
            last = await response.Content.ReadAsStringAsync();
            if (response.IsSuccessStatusCode)
            {
                using var json = JsonDocument.Parse(last);
                var items = json.RootElement.GetProperty("items");
                if (items.GetArrayLength() == 1 && done(items[0]))
                {
                    return items[0].Clone();
                }
            }
            await Task.Delay(200);
        }
        throw new TimeoutException(
            $"Customer {customer.ExternalId} was not stored as expected within {_seedTimeout.TotalSeconds:0} s; last answer: {last}\n{AppOutput}");
    }

    private async Task LaunchChromiumAsync()
    {
        try
        {
            _playwright = await Playwright.CreateAsync();
            _browser = await _playwright.Chromium.LaunchAsync(new()
            {
                ExecutablePath = "/usr/bin/chromium",
                Headless = true,
                Args = _chromiumArgs,
            });
        }
        catch (Exception exception) when (exception is PlaywrightException or InvalidOperationException or IOException)
        {
            throw new InvalidOperationException(
                $"Playwright could not launch /usr/bin/chromium (Debian's chromium package is required; no browser is downloaded): {exception.Message}",
                exception);
        }
    }
}

public sealed record SeededOrder(string ExternalId, decimal Amount);

public sealed record SeededCustomer(string ExternalId, string Email, string Name, string City, string Country, IReadOnlyList<SeededOrder> Orders)
{
    public decimal TotalSpend => Orders.Sum(o => o.Amount);
}
