using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;

namespace Tlc.Testing;

/// <summary>
/// A static file server on 127.0.0.1 (a free port) over a local folder, for HTTP adapter tests: GET and HEAD, single byte
/// ranges (<c>Range: bytes=a-b</c>, answered 206 with <c>Accept-Ranges: bytes</c>) unless built without range support, in
/// which case ranges are ignored and every GET sends the whole file. Counts the body bytes it sends per path.
/// </summary>
public sealed class LocalHttpServer : IAsyncDisposable
{
    private readonly string _folder;
    private readonly bool _ranges;
    private readonly HttpListener _listener;
    private readonly Task _loop;
    private readonly ConcurrentDictionary<string, long> _served = new(StringComparer.Ordinal);
    private readonly ConcurrentQueue<string> _requests = new();

    public LocalHttpServer(string folder, bool supportRanges = true)
    {
        _folder = Path.GetFullPath(folder);
        _ranges = supportRanges;
        for (var attempt = 0; ; attempt++)
        {
            var port = FreePort();
            var listener = new HttpListener();
            listener.Prefixes.Add($"http://127.0.0.1:{port}/");
            try
            {
                listener.Start();
                _listener = listener;
                BaseUrl = new Url($"http://127.0.0.1:{port}/");
                break;
            }
            catch (HttpListenerException) when (attempt < 10)
            {
                listener.Close();
            }
        }
        _loop = Task.Run(LoopAsync);
    }

    /// <summary>The server's root URL.</summary>
    public Url BaseUrl { get; }

    /// <summary>"METHOD /path [range]" of every request, in order.</summary>
    public IReadOnlyCollection<string> Requests => _requests;

    /// <summary>The body bytes sent for the file at <paramref name="relativePath"/> (relative to the folder, '/' separated).</summary>
    public long BytesServed(string relativePath) => _served.GetValueOrDefault(relativePath.Replace('\\', '/').TrimStart('/'));

    /// <summary>Forgets the byte counts and requests so far.</summary>
    public void ResetCounts()
    {
        _served.Clear();
        _requests.Clear();
    }

    private static int FreePort()
    {
        var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        var port = ((IPEndPoint)probe.LocalEndpoint).Port;
        probe.Stop();
        return port;
    }

    private async Task LoopAsync()
    {
        while (_listener.IsListening)
        {
            HttpListenerContext context;
            try
            {
                context = await _listener.GetContextAsync();
            }
            catch (Exception e) when (e is HttpListenerException or ObjectDisposedException or InvalidOperationException)
            {
                return;
            }
            _ = Task.Run(() => Serve(context));
        }
    }

    private async Task Serve(HttpListenerContext context)
    {
        var request = context.Request;
        var response = context.Response;
        try
        {
            var relative = Uri.UnescapeDataString(request.Url!.AbsolutePath).TrimStart('/');
            var range = request.Headers["Range"];
            _requests.Enqueue($"{request.HttpMethod} /{relative}{(range is null ? "" : " " + range)}");
            var path = Path.GetFullPath(Path.Combine(_folder, relative));
            if (!path.StartsWith(_folder + Path.DirectorySeparatorChar, StringComparison.Ordinal) && path != _folder)
            {
                response.StatusCode = 403;
                return;
            }
            if (!File.Exists(path))
            {
                response.StatusCode = 404;
                return;
            }
            if (request.HttpMethod is not ("GET" or "HEAD"))
            {
                response.StatusCode = 405;
                return;
            }
            var length = new FileInfo(path).Length;
            long start = 0, end = length - 1;
            if (_ranges)
            {
                response.AddHeader("Accept-Ranges", "bytes");
                if (range is not null && RangeHeaderValue.TryParse(range, out var parsed) && parsed.Unit == "bytes" && parsed.Ranges.Count == 1)
                {
                    var r = parsed.Ranges.First();
                    (start, end) = r.From is { } from ? (from, Math.Min(r.To ?? length - 1, length - 1)) : (Math.Max(0, length - r.To!.Value), length - 1);
                    if (start >= length || start > end)
                    {
                        response.StatusCode = 416;
                        response.AddHeader("Content-Range", $"bytes */{length}");
                        return;
                    }
                    response.StatusCode = 206;
                    response.AddHeader("Content-Range", $"bytes {start}-{end}/{length}");
                }
            }
            var count = end - start + 1;
            response.ContentLength64 = count;
            if (request.HttpMethod == "HEAD")
            {
                return;
            }
            await using var file = File.OpenRead(path);
            file.Position = start;
            var buffer = new byte[1 << 16];
            var left = count;
            while (left > 0)
            {
                var n = await file.ReadAsync(buffer.AsMemory(0, (int)Math.Min(buffer.Length, left)));
                if (n == 0)
                {
                    break;
                }
                await response.OutputStream.WriteAsync(buffer.AsMemory(0, n));
                left -= n;
            }
            _served.AddOrUpdate(relative, count - left, (_, old) => old + count - left);
        }
        catch (Exception e) when (e is HttpListenerException or IOException)
        {
            // The client went away.
        }
        finally
        {
            try
            {
                response.Close();
            }
            catch (Exception e) when (e is HttpListenerException or ObjectDisposedException or InvalidOperationException)
            {
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        _listener.Stop();
        _listener.Close();
        await _loop;
    }
}
