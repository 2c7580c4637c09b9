using System.Diagnostics;
using XenoCrm.IntegrationTests.Infrastructure;
using XenoCrm.TestServers;

namespace XenoCrm.IntegrationTests.ApiDiscovery;

/// <summary>The Postman collection runs green with newman against the product started in the embedded mode.</summary>
public sealed class NewmanTests : IDisposable
{
    private static readonly string PostmanTools = Path.Combine(RepoPaths.Root, "tests", "postman");
    private static readonly string Newman = Path.Combine(PostmanTools, "node_modules", "newman", "bin", "newman.js");

    private static readonly Dictionary<string, string?> Embedded = new()
    {
        ["ConnectionStrings__Crm"] = null,
        ["ConnectionStrings__RabbitMq"] = null,
        ["ConnectionStrings__Redis"] = null,
        ["Delivery__BaseUrl"] = null,
    };

    private readonly TempFolder _folder = new("xenocrm-newman-");

    public void Dispose() => _folder.Dispose();

    [Fact]
    public async Task PostmanCollection_RunsGreenWithNewman_AgainstTheEmbeddedMode()
    {
        await EnsureNewmanAsync();
        var (exitCode, key, stdErr) = await AppProcess.RunToEndInAsync(_folder.Path, "XenoCrm.Web", Embedded, TimeSpan.FromSeconds(60), "api-keys", "create", "newman");
        Assert.True(exitCode == 0, stdErr);
        var baseUrl = $"http://127.0.0.1:{FreePort.Next()}";
        await using var web = AppProcess.StartIn(_folder.Path, "XenoCrm.Web", Embedded, "--urls", baseUrl);
        await web.WaitForHttpOkAsync($"{baseUrl}/health/live", TimeSpan.FromSeconds(60));

        var (newmanExit, output) = await RunAsync("node", PostmanTools, TimeSpan.FromSeconds(120),
            Newman, "run", PostmanCollectionTests.CollectionPath, "--env-var", $"baseUrl={baseUrl}", "--env-var", $"apiKey={key.Trim()}",
            "--reporters", "cli", "--color", "off", "--timeout-request", "15000");

        Assert.True(newmanExit == 0, $"newman exited with {newmanExit}.\n{output}\n--- XenoCrm.Web ---\n{web.Output}");
        Assert.Contains("assertions", output, StringComparison.Ordinal);
    }

    /// <summary>scripts/test.sh installs newman (npm ci); a bare <c>dotnet test</c> installs it here the first time.</summary>
    private static async Task EnsureNewmanAsync()
    {
        if (File.Exists(Newman))
        {
            return;
        }
        var (exitCode, output) = await RunAsync("npm", PostmanTools, TimeSpan.FromMinutes(3), "ci", "--no-audit", "--no-fund");
        Assert.True(exitCode == 0 && File.Exists(Newman), $"npm ci in {PostmanTools} exited with {exitCode}:\n{output}");
    }

    private static async Task<(int ExitCode, string Output)> RunAsync(string executable, string workingDirectory, TimeSpan timeout, params string[] arguments)
    {
        var startInfo = new ProcessStartInfo(executable)
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in arguments)
        {
            startInfo.ArgumentList.Add(argument);
        }
        using var process = Process.Start(startInfo) ?? throw new InvalidOperationException($"Could not start {executable}.");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var deadline = new CancellationTokenSource(timeout);
        try
        {
            await process.WaitForExitAsync(deadline.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
            return (-1, $"{executable} did not finish within {timeout.TotalSeconds:0} s.\n{await stdout}{await stderr}");
        }
        return (process.ExitCode, await stdout + await stderr);
    }
}
