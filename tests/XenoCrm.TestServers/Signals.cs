using System.Runtime.InteropServices;

namespace XenoCrm.TestServers;

/// <summary>POSIX signals, because <see cref="System.Diagnostics.Process"/> can only send SIGKILL and servers stop cleanly on SIGTERM.</summary>
internal static class Signals
{
    public const int Kill = 9;
    public const int Terminate = 15;

    public static bool Send(int pid, int signal) => kill(pid, signal) == 0;

    [DllImport("libc", SetLastError = true)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
#pragma warning disable IDE1006 // The libc name.
    private static extern int kill(int pid, int sig);
#pragma warning restore IDE1006
}
