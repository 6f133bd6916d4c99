using Tlc.Tables.Configuration;

namespace Tlc.Testing;

/// <summary>A fresh Tlc root folder for one test, deleted afterwards.</summary>
public sealed class TempRoot : IDisposable
{
    public TempRoot(string? name = null)
    {
        Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "tlc-tests", $"{name ?? "root"}-{Guid.NewGuid():N}"[..Math.Min(48, (name ?? "root").Length + 33)]);
        Directory.CreateDirectory(Path);
        Url = Url.FromLocalPath(Path);
        Settings = new TlcOptions { Root = Path };
    }

    /// <summary>The local folder.</summary>
    public string Path { get; }

    /// <summary>The folder as a URL.</summary>
    public Url Url { get; }

    /// <summary>Settings whose root is this folder.</summary>
    public TlcOptions Settings { get; }

    /// <summary>A file path inside the root.</summary>
    public string File(string relative)
    {
        var path = System.IO.Path.Combine(Path, relative);
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(path)!);
        return path;
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }
}
