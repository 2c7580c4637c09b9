namespace XenoCrm.IntegrationTests.Infrastructure;

/// <summary>
/// A fresh folder under the system's temp folder, made now and deleted with everything in it on dispose: the
/// working folder of a product process whose files (the embedded database, keys) a test must not share.
/// </summary>
public sealed class TempFolder : IDisposable
{
    public TempFolder(string prefix)
    {
        Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), prefix + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Path);
    }

    public string Path { get; }

    public void Dispose() => Directory.Delete(Path, recursive: true);
}
