using System.Collections.Concurrent;

namespace Tlc.Api;

/// <summary>
/// Encoded images the dashboard served, by table revision, row, column and size, so scrolling back costs nothing: at most
/// <paramref name="maxBytes"/> bytes are kept; when more would be, the oldest half goes.
/// </summary>
/// <param name="maxBytes">The most bytes kept. The API host keeps 256 MiB.</param>
internal sealed class ThumbnailCache(long maxBytes)
{
    private readonly ConcurrentDictionary<string, byte[]> _images = new(StringComparer.Ordinal);
    private readonly ConcurrentQueue<string> _order = new();
    private long _bytes;

    /// <summary>Images kept.</summary>
    public int Count => _images.Count;

    /// <summary>The image under <paramref name="key"/>, made by <paramref name="make"/> on a miss.</summary>
    public byte[] GetOrAdd(string key, Func<byte[]> make)
    {
        if (_images.TryGetValue(key, out var hit))
        {
            return hit;
        }
        var made = make();
        if (_images.TryAdd(key, made))
        {
            _order.Enqueue(key);
            if (Interlocked.Add(ref _bytes, made.Length) > maxBytes)
            {
                Trim();
            }
        }
        return made;
    }

    private void Trim()
    {
        var target = maxBytes / 2;
        while (Interlocked.Read(ref _bytes) > target && _order.TryDequeue(out var oldest))
        {
            if (_images.TryRemove(oldest, out var removed))
            {
                Interlocked.Add(ref _bytes, -removed.Length);
            }
        }
    }
}
