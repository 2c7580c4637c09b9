using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;

namespace XenoCrm.TestServers;

/// <summary>Hands out loopback TCP ports that no other test process on this machine is using.</summary>
public static class FreePort
{
    // Below Linux's ephemeral range (32768–60999): a port taken from that range can be grabbed by any
    // outgoing connection's local end before the server binds it, and RabbitMQ's CLI tools listen on
    // 35672–35682 for their own distribution.
    private const int FirstPort = 20000;
    private const int LastPort = 32000;
    private const int Attempts = 500;

    // The lock files stay open for the life of the process: the reservation holds across a server's
    // stop and restart, and the kernel releases it when the process dies.
    private static readonly ConcurrentDictionary<int, FileStream> _reservations = new();

    public static int Next()
    {
        var locks = Directory.CreateDirectory(Path.Combine(InstanceDirectory.RootPath, "ports")).FullName;
        for (var attempt = 0; attempt < Attempts; attempt++)
        {
            var port = Random.Shared.Next(FirstPort, LastPort);
            if (_reservations.ContainsKey(port) || !TryReserve(locks, port, out var reservation))
            {
                continue;
            }

            if (IsBindable(port) && _reservations.TryAdd(port, reservation))
            {
                return port;
            }

            reservation.Dispose();
        }

        throw new InvalidOperationException($"No free loopback port found in {FirstPort}–{LastPort} after {Attempts} attempts.");
    }

    private static bool TryReserve(string locks, int port, out FileStream reservation)
    {
        try
        {
            // FileShare.None takes an exclusive flock(2) on Linux, which other test processes see too.
            reservation = new FileStream(Path.Combine(locks, $"{port}.lock"), FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
            return true;
        }
        catch (IOException)
        {
            reservation = null!;
            return false;
        }
    }

    private static bool IsBindable(int port)
    {
        try
        {
            using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            listener.Bind(new IPEndPoint(IPAddress.Loopback, port));
            listener.Listen();
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }
}
