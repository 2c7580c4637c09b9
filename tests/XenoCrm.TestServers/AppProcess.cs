using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text;

namespace XenoCrm.TestServers;

/// <summary>
/// One of the solution's built apps (XenoCrm.Web, XenoCrm.Workers, XenoCrm.Delivery) run as a real child
/// process: <c>dotnet &lt;repo&gt;/&lt;Project&gt;/bin/&lt;Configuration&gt;/net10.0/&lt;Project&gt;.dll args…</c>,
/// so that tests can kill it for real and measure its memory.
/// </summary>
public sealed class AppProcess : IAsyncDisposable
{
    // Past this, the oldest half of the captured output is dropped: a chatty load test must not eat the test host's memory.
    private const int MaxCapturedChars = 4 * 1024 * 1024;

    private static readonly HttpClient _http = new(new SocketsHttpHandler { AllowAutoRedirect = false })
    {
        Timeout = Timeout.InfiniteTimeSpan,
    };

    private readonly Process _process;
    private readonly string _name;
    private readonly Lock _outputLock = new();
    private readonly StringBuilder _output = new();
    private readonly StringBuilder _standardOutput = new();
    private readonly StringBuilder _standardError = new();
    private readonly Timer _memorySampler;
    private long _peakRssBytes;
    private bool _disposed;

    private AppProcess(ProcessStartInfo startInfo, string name)
    {
        _name = name;
        _process = new Process { StartInfo = startInfo };
        _process.OutputDataReceived += (_, e) => Capture(e.Data, _standardOutput);
        _process.ErrorDataReceived += (_, e) => Capture(e.Data, _standardError);
        if (!_process.Start())
        {
            throw new InvalidOperationException($"Could not start {name}.");
        }

        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
        Pid = _process.Id;
        ExitCleanup.Register(this, KillTree);
        // VmHWM disappears with the process: sample it so PeakRssBytes still answers after an exit or a kill.
        _memorySampler = new Timer(_ => SamplePeakRss(), null, TimeSpan.Zero, TimeSpan.FromMilliseconds(250));
    }

    public int Pid { get; }

    /// <summary>Standard output and standard error captured so far, interleaved as they arrived.</summary>
    public string Output
    {
        get
        {
            lock (_outputLock)
            {
                return _output.ToString();
            }
        }
    }

    private string StandardOutput
    {
        get
        {
            lock (_outputLock)
            {
                return _standardOutput.ToString();
            }
        }
    }

    private string StandardError
    {
        get
        {
            lock (_outputLock)
            {
                return _standardError.ToString();
            }
        }
    }

    /// <summary>
    /// Starts <paramref name="project"/>'s built dll in the project's folder, as <c>dotnet run</c> would, so that the
    /// content root holds its appsettings.json and wwwroot. DOTNET_ENVIRONMENT and ASPNETCORE_ENVIRONMENT are set
    /// only if <paramref name="environment"/> gives them; a null value removes an inherited variable.
    /// </summary>
    public static AppProcess Start(string project, IReadOnlyDictionary<string, string?> environment, params string[] args) =>
        StartIn(Path.Combine(RepoPaths.Root, project), project, environment, args);

    /// <summary>As <see cref="Start"/>, in another working directory (where the embedded mode keeps its SQLite file).</summary>
    public static AppProcess StartIn(string workingDirectory, string project, IReadOnlyDictionary<string, string?> environment, params string[] args)
    {
        ArgumentNullException.ThrowIfNull(args);
        var dll = ProjectDll(project);
        return StartCommand(DotnetHost(), [dll, .. args], environment, project, workingDirectory);
    }

    /// <summary>Runs a one-shot command of <paramref name="project"/> (e.g. <c>api-keys create bench</c>) to its end.</summary>
    public static Task<(int ExitCode, string StdOut, string StdErr)> RunToEndAsync(
        string project, IReadOnlyDictionary<string, string?> environment, TimeSpan timeout, params string[] args) =>
        RunToEndInAsync(Path.Combine(RepoPaths.Root, project), project, environment, timeout, args);

    /// <summary>As <see cref="RunToEndAsync"/>, in another working directory.</summary>
    public static async Task<(int ExitCode, string StdOut, string StdErr)> RunToEndInAsync(
        string workingDirectory, string project, IReadOnlyDictionary<string, string?> environment, TimeSpan timeout, params string[] args)
    {
        await using var app = StartIn(workingDirectory, project, environment, args);
        var exitCode = await app.WaitForExitAsync(timeout).ConfigureAwait(false);
        return (exitCode, app.StandardOutput, app.StandardError);
    }

    /// <summary>Any executable, for testing this class without depending on the apps being built.</summary>
    internal static AppProcess StartCommand(
        string fileName, IEnumerable<string> args, IReadOnlyDictionary<string, string?> environment, string name, string? workingDirectory = null)
    {
        ArgumentNullException.ThrowIfNull(environment);
        var startInfo = new ProcessStartInfo(fileName)
        {
            UseShellExecute = false,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            StandardOutputEncoding = Encoding.UTF8,
            StandardErrorEncoding = Encoding.UTF8,
            WorkingDirectory = workingDirectory ?? RepoPaths.Root,
        };
        foreach (var arg in args)
        {
            startInfo.ArgumentList.Add(arg);
        }

        // The app's environment is decided by the test, never by the shell the tests were started from.
        startInfo.Environment.Remove("DOTNET_ENVIRONMENT");
        startInfo.Environment.Remove("ASPNETCORE_ENVIRONMENT");
        foreach (var (variable, value) in environment)
        {
            if (value is null)
            {
                startInfo.Environment.Remove(variable);
            }
            else
            {
                startInfo.Environment[variable] = value;
            }
        }

        var app = new AppProcess(startInfo, name);
        app._process.StandardInput.Close();
        return app;
    }

    /// <summary>Polls GET <paramref name="url"/> until it answers 200 (redirects are not followed).</summary>
    public async Task WaitForHttpOkAsync(string url, TimeSpan timeout)
    {
        var stopwatch = Stopwatch.StartNew();
        var lastAnswer = "no answer yet";
        while (true)
        {
            if (_process.HasExited)
            {
                await _process.WaitForExitAsync().ConfigureAwait(false);
                throw new InvalidOperationException(
                    $"{Describe()} exited with code {_process.ExitCode} before GET {url} answered 200 (last: {lastAnswer}).\n{OutputForMessage()}");
            }

            try
            {
                using var attempt = new CancellationTokenSource(TimeSpan.FromSeconds(5));
                using var response = await _http.GetAsync(url, attempt.Token).ConfigureAwait(false);
                if (response.StatusCode == HttpStatusCode.OK)
                {
                    return;
                }

                lastAnswer = $"HTTP {(int)response.StatusCode}";
            }
            catch (HttpRequestException exception)
            {
                lastAnswer = exception.Message;
            }
            catch (TaskCanceledException)
            {
                lastAnswer = "no answer within 5 s";
            }

            if (stopwatch.Elapsed > timeout)
            {
                throw new TimeoutException(
                    $"GET {url} did not answer 200 within {timeout.TotalSeconds:0} s (last: {lastAnswer}); {Describe()} is still running.\n{OutputForMessage()}");
            }

            await Task.Delay(100).ConfigureAwait(false);
        }
    }

    /// <summary>Waits for the process to exit by itself and returns its exit code; throws with the output if it does not within <paramref name="timeout"/>.</summary>
    public async Task<int> WaitForExitAsync(TimeSpan timeout)
    {
        using var deadline = new CancellationTokenSource(timeout);
        try
        {
            // Also waits for the output pipes to close, so Output is complete afterwards.
            await _process.WaitForExitAsync(deadline.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            throw new TimeoutException($"{Describe()} did not exit within {timeout.TotalSeconds:0} s.\n{OutputForMessage()}");
        }

        return _process.ExitCode;
    }

    /// <summary>SIGKILL to the process and everything it started, then waits until it is gone.</summary>
    public void Kill()
    {
        SamplePeakRss();
        KillTree();
    }

    /// <summary>The process's peak resident set size (VmHWM), or the last value seen before it exited.</summary>
    public long PeakRssBytes()
    {
        SamplePeakRss();
        return Interlocked.Read(ref _peakRssBytes);
    }

    /// <summary>Kills the process if it is still running.</summary>
    public async ValueTask DisposeAsync()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        ExitCleanup.Unregister(this);
        await _memorySampler.DisposeAsync().ConfigureAwait(false);
        KillTree();
        _process.Dispose();
    }

    private static string DotnetHost()
    {
        // The SDK tells child processes which dotnet it is; fall back to the muxer running the tests, then to PATH.
        if (Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } hostPath && File.Exists(hostPath))
        {
            return hostPath;
        }

        return Environment.ProcessPath is { } processPath && Path.GetFileNameWithoutExtension(processPath) == "dotnet"
            ? processPath
            : "dotnet";
    }

    private static string ProjectDll(string project)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(project);
        var dll = Path.Combine(RepoPaths.Root, project, "bin", RepoPaths.Configuration, "net10.0", $"{project}.dll");
        if (!File.Exists(dll))
        {
            throw new FileNotFoundException(
                $"{dll} does not exist. Build the solution first: dotnet build XenoCrm.sln -c {RepoPaths.Configuration}", dll);
        }

        return dll;
    }

    private void KillTree()
    {
        try
        {
            _process.Kill(entireProcessTree: true);
            _process.WaitForExit(TimeSpan.FromSeconds(30));
        }
        catch (InvalidOperationException)
        {
            // Already exited.
        }
    }

    private void Capture(string? line, StringBuilder stream)
    {
        if (line is null)
        {
            return;
        }

        lock (_outputLock)
        {
            Append(_output, line);
            Append(stream, line);
        }
    }

    private static void Append(StringBuilder buffer, string line)
    {
        if (buffer.Length + line.Length > MaxCapturedChars)
        {
            buffer.Remove(0, buffer.Length / 2).Insert(0, "[… earlier output dropped …]\n");
        }

        buffer.Append(line).Append('\n');
    }

    private void SamplePeakRss()
    {
        // Once the process has exited its pid may belong to someone else.
        if (_disposed || _process.HasExited)
        {
            return;
        }

        try
        {
            foreach (var line in File.ReadLines($"/proc/{Pid}/status"))
            {
                if (line.StartsWith("VmHWM:", StringComparison.Ordinal))
                {
                    var kilobytes = long.Parse(line["VmHWM:".Length..].Replace("kB", "", StringComparison.Ordinal).Trim(), CultureInfo.InvariantCulture);
                    var bytes = kilobytes * 1024;
                    long seen;
                    while ((seen = Interlocked.Read(ref _peakRssBytes)) < bytes
                        && Interlocked.CompareExchange(ref _peakRssBytes, bytes, seen) != seen)
                    {
                    }

                    return;
                }
            }
        }
        catch (IOException)
        {
            // The process is gone: keep the last sample.
        }
    }

    private string Describe() => $"{_name} (pid {Pid})";

    private string OutputForMessage() => $"--- output of {_name} ---\n{Output.TrimEnd()}\n--- end of output ---";
}
