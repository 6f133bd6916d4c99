using System.Net;
using System.Net.Sockets;

namespace Tlc.Tables.Tests.Import;

/// <summary>A minimal HTTP server over a folder (GET and HEAD, no ranges) on a free loopback port, for http:// inputs.</summary>
internal sealed class StaticHttpServer : IAsyncDisposable
{
    private readonly HttpListener _listener = new();
    private readonly string _folder;
    private readonly Task _loop;
    private readonly int _port;

    public StaticHttpServer(string folder)
    {
        _folder = folder;
        using (var probe = new TcpListener(IPAddress.Loopback, 0))
        {
            probe.Start();
            _port = ((IPEndPoint)probe.LocalEndpoint).Port;
            probe.Stop();
        }
        _listener.Prefixes.Add($"http://127.0.0.1:{_port}/");
        _listener.Start();
        _loop = Task.Run(ServeAsync);
    }

    public string UrlOf(string name) => $"http://127.0.0.1:{_port}/{name}";

    private async Task ServeAsync()
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
            var path = Path.Combine(_folder, context.Request.Url!.AbsolutePath.TrimStart('/'));
            using var response = context.Response;
            if (!File.Exists(path))
            {
                response.StatusCode = 404;
                continue;
            }
            var bytes = await File.ReadAllBytesAsync(path);
            response.ContentLength64 = bytes.Length;
            if (context.Request.HttpMethod != "HEAD")
            {
                await response.OutputStream.WriteAsync(bytes);
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
