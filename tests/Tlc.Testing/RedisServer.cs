using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Tlc.Testing;

/// <summary>
/// A real <c>redis-server</c> (Debian's, installed by tests/fixtures/prepare.sh) started as a child process on a free
/// loopback port, with its data in a folder of its own: <c>--appendonly yes --appendfsync everysec --save ''</c>, so what
/// it acknowledged more than a second ago survives a <c>kill -9</c> and a restart over the same folder (as a production
/// server needs AOF persistence). Killed on dispose. When redis-server is missing, <see cref="StartAsync"/> fails with
/// instructions (these tests never skip).
/// </summary>
public sealed class RedisServer : IAsyncDisposable
{
    private const string Install = "Install it with tests/fixtures/prepare.sh (Debian's redis-server; ./test.sh runs it) or 'apt-get install redis-server'.";
    private readonly bool _ownsFolder;
    private Process _process;
    private readonly StringBuilder _log = new();

    private RedisServer(Process process, int port, string folder, bool ownsFolder)
    {
        _process = process;
        Port = port;
        Folder = folder;
        _ownsFolder = ownsFolder;
    }

    /// <summary>The loopback port it listens on.</summary>
    public int Port { get; }

    /// <summary>Its data folder (the append-only file).</summary>
    public string Folder { get; }

    /// <summary>The StackExchange.Redis configuration string that reaches it.</summary>
    public string ConnectionString => $"127.0.0.1:{Port}";

    /// <summary>What the server printed.</summary>
    public string Log
    {
        get
        {
            lock (_log)
            {
                return _log.ToString();
            }
        }
    }

    /// <summary>The path of <c>redis-server</c>.</summary>
    /// <exception cref="InvalidOperationException">It is not installed.</exception>
    public static string Executable()
    {
        var candidates = (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Append("/usr/bin").Append("/usr/local/bin").Select(d => Path.Combine(d, "redis-server"));
        return candidates.FirstOrDefault(File.Exists)
            ?? throw new InvalidOperationException($"redis-server is not installed, so the Redis cluster tests cannot run. {Install}");
    }

    /// <summary>Starts a server on a free port with a fresh data folder; returns once it answers PING.</summary>
    public static async Task<RedisServer> StartAsync(CancellationToken cancellationToken = default)
    {
        var folder = Directory.CreateTempSubdirectory("tlc-redis-").FullName;
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return await StartAsync(FreePort(), folder, ownsFolder: true, cancellationToken);
            }
            catch (TimeoutException) when (attempt < 3)
            {
                // Another process took the port between its choice and the server's bind.
            }
        }
    }

    /// <summary>Kills the server at once (SIGKILL), as a crash would; <see cref="RestartAsync"/> starts it again.</summary>
    public async Task KillAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }
    }

    /// <summary>Starts the server again on the same port over the same folder (after <see cref="KillAsync"/>).</summary>
    public async Task RestartAsync(CancellationToken cancellationToken = default)
    {
        await KillAsync();
        var started = await StartAsync(Port, Folder, ownsFolder: false, cancellationToken);
        _process.Dispose();
        _process = started._process;
    }

    /// <summary>Sends one command (RESP) and returns the raw first reply line, e.g. <c>+PONG</c>.</summary>
    public Task<string> CommandAsync(params string[] arguments) => CommandAsync(Port, arguments, CancellationToken.None);

    /// <summary>Kills the server and deletes its folder.</summary>
    public async ValueTask DisposeAsync()
    {
        await KillAsync();
        _process.Dispose();
        if (_ownsFolder)
        {
            try
            {
                Directory.Delete(Folder, recursive: true);
            }
            catch (IOException)
            {
                // Clean-up only.
            }
        }
    }

    private static async Task<RedisServer> StartAsync(int port, string folder, bool ownsFolder, CancellationToken cancellationToken)
    {
        var start = new ProcessStartInfo(Executable())
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in new[]
        {
            "--port", $"{port}", "--bind", "127.0.0.1", "--dir", folder, "--appendonly", "yes", "--appendfsync", "everysec",
            "--save", "", "--maxmemory-policy", "noeviction", "--daemonize", "no", "--logfile", "",
        })
        {
            start.ArgumentList.Add(argument);
        }
        var process = Process.Start(start) ?? throw new InvalidOperationException("redis-server did not start.");
        var server = new RedisServer(process, port, folder, ownsFolder);
        process.OutputDataReceived += (_, e) => server.Append(e.Data);
        process.ErrorDataReceived += (_, e) => server.Append(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(15);
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (process.HasExited)
            {
                await Task.Delay(100, cancellationToken);
                throw new TimeoutException($"redis-server exited with {process.ExitCode} before answering on port {port}:\n{server.Log}");
            }
            try
            {
                // PING answers +PONG, or -LOADING while the append-only file is read back.
                if (await CommandAsync(port, ["PING"], cancellationToken) == "+PONG")
                {
                    return server;
                }
            }
            catch (Exception e) when (e is SocketException or IOException)
            {
            }
            if (DateTime.UtcNow > deadline)
            {
                await server.DisposeAsync();
                throw new TimeoutException($"redis-server did not answer PING on port {port} within 15 s:\n{server.Log}");
            }
            await Task.Delay(50, cancellationToken);
        }
    }

    private void Append(string? line)
    {
        if (line is not null)
        {
            lock (_log)
            {
                _log.AppendLine(line);
            }
        }
    }

    private static async Task<string> CommandAsync(int port, string[] arguments, CancellationToken cancellationToken)
    {
        using var client = new TcpClient();
        await client.ConnectAsync(IPAddress.Loopback, port, cancellationToken);
        await using var stream = client.GetStream();
        var request = new StringBuilder($"*{arguments.Length}\r\n");
        foreach (var argument in arguments)
        {
            request.Append(System.Globalization.CultureInfo.InvariantCulture, $"${Encoding.UTF8.GetByteCount(argument)}\r\n{argument}\r\n");
        }
        await stream.WriteAsync(Encoding.UTF8.GetBytes(request.ToString()), cancellationToken);
        using var reader = new StreamReader(stream, Encoding.UTF8);
        return await reader.ReadLineAsync(cancellationToken) ?? throw new IOException("redis-server closed the connection");
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
