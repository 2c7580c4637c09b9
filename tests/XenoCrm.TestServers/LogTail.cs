using System.Text;

namespace XenoCrm.TestServers;

internal static class LogTail
{
    /// <summary>The last lines of a server's log, for exception messages.</summary>
    public static string Read(string path, int lines = 40)
    {
        try
        {
            using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            const int MaxBytes = 16 * 1024;
            stream.Seek(Math.Max(0, stream.Length - MaxBytes), SeekOrigin.Begin);
            using var reader = new StreamReader(stream, Encoding.UTF8);
            var tail = reader.ReadToEnd().Split('\n').TakeLast(lines);
            return $"--- last lines of {path} ---\n{string.Join('\n', tail).TrimEnd()}\n--- end of {path} ---";
        }
        catch (IOException exception)
        {
            return $"(no log at {path}: {exception.Message})";
        }
    }
}
