using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;

namespace XenoCrm.Bench;

/// <param name="Elapsed">From the first request until the last answer.</param>
/// <param name="LatenciesMilliseconds">Each request's time to its 202, in the order of the bodies.</param>
/// <param name="Retries">503 answers (the broker did not confirm) that were sent again.</param>
internal sealed record LoadResult(TimeSpan Elapsed, double[] LatenciesMilliseconds, int Retries)
{
    /// <summary>Nearest-rank percentile of the latencies.</summary>
    public double Percentile(double percent)
    {
        var sorted = LatenciesMilliseconds.Order().ToArray();
        var rank = (int)Math.Ceiling(percent / 100 * sorted.Length);
        return sorted[Math.Clamp(rank - 1, 0, sorted.Length - 1)];
    }
}

/// <summary>POSTs prepared JSON bodies with a fixed number of requests in flight, each expecting 202.</summary>
internal static class RequestLoad
{
    private const int MaxAttempts = 5;
    private static readonly MediaTypeHeaderValue _json = new("application/json");

    public static async Task<LoadResult> PostAllAsync(HttpClient http, string path, IReadOnlyList<byte[]> bodies, int concurrency, CancellationToken ct)
    {
        var latencies = new double[bodies.Count];
        var next = -1;
        var retries = 0;
        using var failed = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var started = Stopwatch.GetTimestamp();

        async Task SendAsync()
        {
            try
            {
                int index;
                while ((index = Interlocked.Increment(ref next)) < bodies.Count)
                {
                    for (var attempt = 1; ; attempt++)
                    {
                        var sent = Stopwatch.GetTimestamp();
                        using var content = new ByteArrayContent(bodies[index]);
                        content.Headers.ContentType = _json;
                        using var response = await http.PostAsync(path, content, failed.Token);
                        if (response.StatusCode == HttpStatusCode.Accepted)
                        {
                            latencies[index] = Stopwatch.GetElapsedTime(sent).TotalMilliseconds;
                            break;
                        }

                        var answer = await response.Content.ReadAsStringAsync(failed.Token);
                        if (response.StatusCode != HttpStatusCode.ServiceUnavailable || attempt == MaxAttempts)
                        {
                            throw new InvalidOperationException($"POST {path} (request {index}, attempt {attempt}) answered {(int)response.StatusCode}: {answer}");
                        }

                        Interlocked.Increment(ref retries);
                        await Task.Delay(TimeSpan.FromSeconds(1), failed.Token);
                    }
                }
            }
            catch
            {
                // One failed request fails the phase: stop the others instead of loading a broken system.
                await failed.CancelAsync();
                throw;
            }
        }

        // A faulted sender makes WhenAll throw its exception, not the cancellations it caused.
        await Task.WhenAll(Enumerable.Range(0, Math.Min(concurrency, bodies.Count)).Select(_ => SendAsync()));
        return new LoadResult(Stopwatch.GetElapsedTime(started), latencies, retries);
    }
}
