using Tlc.Tables.Urls;

namespace Tlc.Metrics;

/// <summary>A URL's content as a local file: the file itself for file URLs, else a temporary download deleted on dispose.</summary>
internal sealed class LocalCopy : IDisposable
{
    private readonly bool _temporary;

    private LocalCopy(string path, bool temporary)
    {
        Path = path;
        _temporary = temporary;
    }

    public string Path { get; }

    public static LocalCopy Of(string url, UrlAdapterRegistry adapters, ModelSpec spec)
    {
        Url parsed;
        try
        {
            parsed = adapters.Check(new Url(url));
        }
        catch (Exception e) when (e is ArgumentException or FormatException or KeyNotFoundException or InvalidOperationException or UnauthorizedAccessException)
        {
            throw new MetricsSpecException($"Model spec {ModelRegistry.Describe(spec)}: bad weights URL '{url}': {e.Message}", e);
        }
        if (parsed.IsFile)
        {
            return File.Exists(parsed.LocalPath)
                ? new LocalCopy(parsed.LocalPath, temporary: false)
                : throw new MetricsSpecException($"Model spec {ModelRegistry.Describe(spec)}: the file {parsed.LocalPath} does not exist.");
        }
        var temp = System.IO.Path.Combine(System.IO.Path.GetTempPath(), $"tlc-model-{Guid.NewGuid():N}{System.IO.Path.GetExtension(parsed.Name)}");
        try
        {
            using var source = adapters.OpenRead(parsed);
            using var target = File.Create(temp);
            source.CopyTo(target);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or InvalidOperationException or NotSupportedException or HttpRequestException)
        {
            File.Delete(temp);
            throw new MetricsSpecException($"Model spec {ModelRegistry.Describe(spec)}: cannot read {parsed}: {e.Message}", e);
        }
        return new LocalCopy(temp, temporary: true);
    }

    public void Dispose()
    {
        if (_temporary)
        {
            try
            {
                File.Delete(Path);
            }
            catch (IOException)
            {
            }
        }
    }
}
