using System.Collections.Concurrent;

namespace XenoCrm.TestServers;

/// <summary>Kills what a test started and never disposed when the test process exits (best effort: a crash skips it, and the next run's sweep catches up).</summary>
internal static class ExitCleanup
{
    private static readonly ConcurrentDictionary<object, Action> _pending = new();

    static ExitCleanup() => AppDomain.CurrentDomain.ProcessExit += (_, _) => RunAll();

    public static void Register(object owner, Action cleanup) => _pending[owner] = cleanup;

    public static void Unregister(object owner) => _pending.TryRemove(owner, out _);

    private static void RunAll()
    {
        foreach (var (owner, cleanup) in _pending)
        {
            if (_pending.TryRemove(owner, out _))
            {
                try
                {
                    cleanup();
                }
#pragma warning disable CA1031 // One failed cleanup must not stop the others at process exit.
                catch (Exception)
#pragma warning restore CA1031
                {
                }
            }
        }
    }
}
