using Microsoft.Extensions.Logging;

namespace XenoCrm.ServiceDefaults;

/// <summary>
/// Files only the process's own user may read: the embedded mode's SQLite database and its data-protection key
/// certificate. Each is created with mode 0600 from its first byte (never created with the umask's 0644 and narrowed
/// afterwards, which would leave a moment when another local user could open it), and a file an earlier release left
/// more open is narrowed, with a line in the log.
/// </summary>
public static class OwnerOnlyFiles
{
    public const UnixFileMode OwnerReadWrite = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    private const UnixFileMode GroupAndOthers =
        UnixFileMode.GroupRead | UnixFileMode.GroupWrite | UnixFileMode.GroupExecute |
        UnixFileMode.OtherRead | UnixFileMode.OtherWrite | UnixFileMode.OtherExecute;

    /// <summary>
    /// Makes sure <paramref name="path"/> exists with mode 0600: creates it empty if it does not exist, narrows it if
    /// group or others may use it. SQLite takes an empty file as an empty database, and gives the <c>-wal</c>,
    /// <c>-shm</c> and <c>-journal</c> files it creates later the database file's mode, so this is done before
    /// anything opens the database.
    /// </summary>
    public static void Prepare(string path, ILogger logger)
    {
        if (OperatingSystem.IsWindows())
        {
            // Windows has no mode bits; a new file inherits the folder's ACL.
            return;
        }
        try
        {
            using (new FileStream(path, new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, UnixCreateMode = OwnerReadWrite }))
            {
                return;
            }
        }
        catch (IOException) when (File.Exists(path))
        {
            // There already: from an earlier start, or another process that got here first.
        }
        Tighten(path, logger);
    }

    /// <summary>Removes group's and others' access to <paramref name="path"/> if it exists and grants any, and says so in the log.</summary>
    public static void Tighten(string path, ILogger logger)
    {
        if (TryTighten(path, out var before, out var after))
        {
            logger.LogWarning("{Path} was open to other local users (mode {Mode}); it is now open to its owner only (mode {NewMode})",
                Path.GetFullPath(path), Octal(before), Octal(after));
        }
    }

    /// <summary>Removes group's and others' access to <paramref name="path"/>; true when it existed and granted any.</summary>
    public static bool TryTighten(string path, out UnixFileMode before, out UnixFileMode after)
    {
        before = after = default;
        if (OperatingSystem.IsWindows() || !File.Exists(path))
        {
            return false;
        }
        before = File.GetUnixFileMode(path);
        if ((before & GroupAndOthers) == 0)
        {
            return false;
        }
        after = before & ~GroupAndOthers;
        File.SetUnixFileMode(path, after);
        return true;
    }

    public static string Octal(UnixFileMode mode) => Convert.ToString((int)mode, 8).PadLeft(4, '0');

    /// <summary>
    /// Writes <paramref name="content"/> to a new file at <paramref name="path"/>, mode 0600, unless the file exists.
    /// The content is written to a temporary file first and moved into place, so that another process starting at the
    /// same moment reads either no file or the whole of it.
    /// </summary>
    /// <returns>False when <paramref name="path"/> already existed: another process created it first.</returns>
    public static bool TryCreate(string path, ReadOnlySpan<byte> content)
    {
        var temporary = $"{path}.{Guid.NewGuid():N}.tmp";
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = OwnerReadWrite;
        }
        try
        {
            using (var file = new FileStream(temporary, options))
            {
                file.Write(content);
                file.Flush(flushToDisk: true);
            }
            File.Move(temporary, path, overwrite: false);
            return true;
        }
        catch (IOException) when (File.Exists(path))
        {
            return false;
        }
        finally
        {
            File.Delete(temporary);
        }
    }
}
