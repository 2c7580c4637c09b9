using System.Collections.Concurrent;
using System.Text.RegularExpressions;
using Microsoft.Playwright;
using Xunit.Abstractions;
using static Microsoft.Playwright.Assertions;

namespace XenoCrm.BrowserTests;

/// <summary>
/// One test's browser: a fresh context (no cookies) and page, a full-page screenshot per step, and a
/// record of what must never happen on these pages: a JavaScript dialog, an uncaught script error,
/// a sub-resource (style, script) that failed to load, a Content-Security-Policy refusal.
/// </summary>
public sealed class BrowserSession : IAsyncDisposable
{
    private readonly EmbeddedCrm _crm;
    private readonly string _test;
    private readonly ITestOutputHelper _output;
    private readonly ConcurrentQueue<string> _dialogs = new();
    private readonly ConcurrentQueue<string> _scriptErrors = new();
    private readonly ConcurrentQueue<string> _failedResources = new();
    private readonly ConcurrentQueue<string> _cspViolations = new();
    private int _step;

    private BrowserSession(EmbeddedCrm crm, string test, ITestOutputHelper output, IBrowserContext context, IPage page)
    {
        _crm = crm;
        _test = test;
        _output = output;
        Context = context;
        Page = page;
        page.Dialog += (_, dialog) =>
        {
            _dialogs.Enqueue($"{dialog.Type} on {page.Url}: {dialog.Message}");
            _ = dialog.DismissAsync();
        };
        page.PageError += (_, error) => _scriptErrors.Enqueue($"{page.Url}: {error}");
        // CSP refusals show up in the console only.
        page.Console += (_, message) =>
        {
            if (message.Text.Contains("Content Security Policy", StringComparison.OrdinalIgnoreCase))
            {
                _cspViolations.Enqueue($"{message.Location} (page {page.Url}): {message.Text}");
            }
        };
        page.Response += (_, response) =>
        {
            if (!response.Request.IsNavigationRequest && response.Status >= 400)
            {
                _failedResources.Enqueue($"{response.Status} {response.Url}");
            }
        };
        page.RequestFailed += (_, request) =>
        {
            // ERR_ABORTED is the browser cancelling a load itself, because the page navigated away (a click that
            // leaves while scripts or a poll are still loading, which a busy machine makes likely), not a resource
            // that failed: a missing one answers 404 above, and a refused one is a console CSP error.
            if (request.Failure != "net::ERR_ABORTED")
            {
                _failedResources.Enqueue($"{request.Failure} {request.Url}");
            }
        };
    }

    public IBrowserContext Context { get; }

    public IPage Page { get; }

    /// <summary>Every alert, confirm or prompt that opened (and was dismissed).</summary>
    public IReadOnlyCollection<string> Dialogs => _dialogs.ToArray();

    /// <summary>Where the screenshots go: <c>$XENOCRM_ARTIFACTS/screenshots</c>, else <c>TestResults/screenshots</c> in the build output.</summary>
    public static string ScreenshotFolder { get; } = Path.Combine(
        Environment.GetEnvironmentVariable("XENOCRM_ARTIFACTS") is { Length: > 0 } artifacts ? artifacts : Path.Combine(AppContext.BaseDirectory, "TestResults"),
        "screenshots");

    public static async Task<BrowserSession> OpenAsync(EmbeddedCrm crm, string test, ITestOutputHelper output)
    {
        ArgumentNullException.ThrowIfNull(crm);
        ArgumentNullException.ThrowIfNull(output);
        Directory.CreateDirectory(ScreenshotFolder);
        foreach (var stale in Directory.EnumerateFiles(ScreenshotFolder, $"{test}-*.png"))
        {
            File.Delete(stale);
        }
        output.WriteLine($"Screenshots: {ScreenshotFolder}");

        var context = await crm.Browser.NewContextAsync(new()
        {
            BaseURL = crm.BaseUrl,
            ViewportSize = new() { Width = 1280, Height = 800 },
            Locale = "en-GB",
        });
        context.SetDefaultTimeout(10_000);
        context.SetDefaultNavigationTimeout(15_000);
        // Expect(…) waits on its own clock (5 s by default), which the API reference's first render under a busy CI run
        // once missed; the same 10 s as every other wait here.
        Assertions.SetDefaultExpectTimeout(10_000);
        return new BrowserSession(crm, test, output, context, await context.NewPageAsync());
    }

    /// <summary>Saves <c>&lt;test&gt;-&lt;nn&gt;-&lt;step&gt;.png</c>, the whole page.</summary>
    public async Task ScreenshotAsync(string step)
    {
        var path = Path.Combine(ScreenshotFolder, $"{_test}-{++_step:00}-{step}.png");
        await Page.ScreenshotAsync(new() { Path = path, FullPage = true });
        _output.WriteLine($"{Page.Url} → {path}");
    }

    /// <summary>The development sign-in: asked for a page, sent to sign in, typed the email, back on the page.</summary>
    public async Task SignInAsync(string email)
    {
        await Page.GotoAsync("/customers");
        await Expect(Page).ToHaveURLAsync(SignInUrl());
        await Expect(Page.Locator("#development-signin-banner")).ToBeVisibleAsync();
        await Page.GetByLabel("Email", new() { Exact = true }).FillAsync(email);
        await ScreenshotAsync("signin");
        await Page.GetByRole(AriaRole.Button, new() { Name = "Sign in", Exact = true }).ClickAsync();
        await Expect(Page).ToHaveURLAsync($"{_crm.BaseUrl}/customers");
        await Expect(Page.Locator("#signed-in-name")).ToHaveTextAsync(email);
    }

    /// <summary>Creates an API key on the settings page, as an admin, and returns it (shown once).</summary>
    public async Task<string> CreateApiKeyAsync(string name)
    {
        await Page.GotoAsync("/settings/apikeys");
        await Page.GetByLabel("Name", new() { Exact = true }).FillAsync(name);
        await Page.GetByRole(AriaRole.Button, new() { Name = "Create key", Exact = true }).ClickAsync();
        return await Page.GetByLabel("The new API key").InputValueAsync();
    }

    /// <summary>The main navigation bar's links, by their visible names.</summary>
    public ILocator NavLink(string name) =>
        Page.GetByRole(AriaRole.Navigation, new() { Name = "Main" }).GetByRole(AriaRole.Link, new() { Name = name, Exact = true });

    /// <summary>Fails with everything that went wrong in the browser: dialogs, script errors, resources that did not load.</summary>
    public void AssertNothingWentWrong()
    {
        Assert.True(_dialogs.IsEmpty, $"A JavaScript dialog opened (a script ran that should not have): {string.Join("; ", _dialogs)}");
        Assert.True(_scriptErrors.IsEmpty, $"Uncaught script errors: {string.Join("; ", _scriptErrors)}");
        Assert.True(_failedResources.IsEmpty, $"Resources that did not load: {string.Join("; ", _failedResources)}");
        Assert.True(_cspViolations.IsEmpty, $"Content Security Policy violations: {string.Join("; ", _cspViolations)}");
    }

    /// <summary>Runs a test's steps; on failure saves a screenshot of where it stopped and adds the app's output to the message.</summary>
    public async Task RunAsync(Func<Task> steps)
    {
        ArgumentNullException.ThrowIfNull(steps);
        try
        {
            await steps();
            AssertNothingWentWrong();
        }
        catch (Exception failure) when (failure is not OutOfMemoryException)
        {
            try
            {
                await ScreenshotAsync("failure");
            }
            catch (PlaywrightException screenshotFailure)
            {
                _output.WriteLine($"No failure screenshot: {screenshotFailure.Message}");
            }
            _output.WriteLine($"Page at failure: {Page.Url}");
            _output.WriteLine(_crm.AppOutput);
            throw;
        }
    }

    public async ValueTask DisposeAsync() => await Context.CloseAsync();

    private Regex SignInUrl() => new($"^{Regex.Escape(_crm.BaseUrl)}/account/signin\\?ReturnUrl=", RegexOptions.IgnoreCase);
}
