using System.Diagnostics;
using System.Text;
using System.Text.Json;
using Amazon.Runtime;
using Amazon.S3;
using Amazon.S3.Model;
using Tlc.Tables.Configuration;
using Tlc.Tables.Urls;

namespace Tlc.Testing;

/// <summary>
/// A real s3rver (npm, installed by tests/fixtures/prepare.sh) started as a child process on 127.0.0.1 and a free port,
/// with its objects in a folder of its own, through tests/fixtures/s3rver.cjs. Requests are checked against s3rver's
/// one key pair (<see cref="AccessKeyId"/>, <see cref="SecretAccessKey"/>): s3rver 3.7 refuses an unknown access key
/// id (403 InvalidAccessKeyId) but does not verify SigV4 signatures, so a wrong secret is accepted. s3rver ignores <c>If-None-Match</c> on PUT;
/// started with <c>conditionalWrites</c>, the script makes PUT and Complete Multipart Upload answer 412 as Amazon S3 does.
/// Killed on dispose. When node or the package is missing, <see cref="StartAsync"/> fails with instructions (these tests
/// never skip).
/// </summary>
public sealed class S3rver : IAsyncDisposable
{
    /// <summary>s3rver's access key id.</summary>
    public const string AccessKeyId = "S3RVER";

    /// <summary>s3rver's secret access key.</summary>
    public const string SecretAccessKey = "S3RVER";

    private readonly Process _process;
    private readonly string _folder;
    private readonly StringBuilder _log;
    private readonly AmazonS3Client _admin;

    private S3rver(Process process, string folder, int port, bool conditionalWrites, StringBuilder log)
    {
        _process = process;
        _log = log;
        _folder = folder;
        Port = port;
        ConditionalWrites = conditionalWrites;
        _admin = new AmazonS3Client(new BasicAWSCredentials(AccessKeyId, SecretAccessKey),
            new AmazonS3Config { ServiceURL = Endpoint, AuthenticationRegion = "us-east-1", ForcePathStyle = true });
    }

    /// <summary>The loopback port it listens on.</summary>
    public int Port { get; }

    /// <summary>Its endpoint URL.</summary>
    public string Endpoint => $"http://127.0.0.1:{Port}";

    /// <summary>True when it answers <c>If-None-Match: *</c> on PUT as Amazon S3 does.</summary>
    public bool ConditionalWrites { get; }

    /// <summary>What the process printed after starting.</summary>
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

    /// <summary>Starts a server with a fresh data folder; returns once it listens.</summary>
    /// <param name="conditionalWrites">Answer <c>If-None-Match: *</c> on PUT with 412 when the key exists (as Amazon S3 does).</param>
    /// <param name="cancellationToken">Cancels the start.</param>
    public static async Task<S3rver> StartAsync(bool conditionalWrites = false, CancellationToken cancellationToken = default)
    {
        const string Install = "Install it with tests/fixtures/prepare.sh (the npm package s3rver; ./test.sh runs it).";
        var modules = Fixtures.NodeModules;
        if (!Directory.Exists(Path.Combine(modules, "s3rver")))
        {
            throw new InvalidOperationException($"s3rver is not installed under {modules}, so the S3 tests cannot run. {Install}");
        }
        var folder = Directory.CreateTempSubdirectory("tlc-s3rver-").FullName;
        var start = new ProcessStartInfo("node") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add(Path.Combine(Fixtures.RepositoryRoot, "tests", "fixtures", "s3rver.cjs"));
        start.ArgumentList.Add(modules);
        start.ArgumentList.Add(folder);
        if (conditionalWrites)
        {
            start.ArgumentList.Add("--conditional-writes");
        }
        var process = Process.Start(start) ?? throw new InvalidOperationException("node did not start (is Node.js installed and on PATH?).");
        var errors = new StringBuilder();
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is not null)
            {
                lock (errors)
                {
                    errors.AppendLine(e.Data);
                }
            }
        };
        process.BeginErrorReadLine();
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(TimeSpan.FromSeconds(30));
        string? line;
        try
        {
            line = await process.StandardOutput.ReadLineAsync(timeout.Token);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            line = null;
        }
        if (line is null || !line.StartsWith('{'))
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync(CancellationToken.None);
            string printed;
            lock (errors)
            {
                printed = errors.ToString();
            }
            Directory.Delete(folder, recursive: true);
            throw new InvalidOperationException($"s3rver did not start within 30 s (it printed '{line}'):\n{printed}\n{Install}");
        }
        var port = JsonDocument.Parse(line).RootElement.GetProperty("port").GetInt32();
        // Keep reading what it prints, so that a full pipe never blocks it.
        _ = Task.Run(async () =>
        {
            while (await process.StandardOutput.ReadLineAsync(CancellationToken.None) is { } printed)
            {
                lock (errors)
                {
                    errors.AppendLine(printed);
                }
            }
        }, CancellationToken.None);
        return new S3rver(process, folder, port, conditionalWrites, errors);
    }

    /// <summary>The <c>s3</c> settings that reach this server (path-style addressing, its key pair).</summary>
    /// <param name="conditionalWrites">Whether the adapter sends <c>If-None-Match: *</c>; default: <see cref="ConditionalWrites"/>.</param>
    public S3Options Options(bool? conditionalWrites = null) => new()
    {
        Endpoint = Endpoint,
        Region = "us-east-1",
        AccessKeyId = AccessKeyId,
        SecretAccessKey = SecretAccessKey,
        ForcePathStyle = true,
        ConditionalWrites = conditionalWrites ?? ConditionalWrites,
    };

    /// <summary>An adapter over this server (environment variables ignored).</summary>
    public S3UrlAdapter NewAdapter(bool? conditionalWrites = null) => new(Options(conditionalWrites), environment: _ => null);

    /// <summary>A registry with the built-in adapters plus <paramref name="adapter"/> (default: <see cref="NewAdapter"/>).</summary>
    public static UrlAdapterRegistry NewRegistry(S3UrlAdapter adapter)
    {
        var registry = new UrlAdapterRegistry(new UrlAliases(environment: _ => null));
        registry.Register(adapter);
        return registry;
    }

    /// <summary>Creates a fresh bucket (lower case, unique per call) and returns its name.</summary>
    public async Task<string> CreateBucketAsync(string prefix = "tlc", CancellationToken cancellationToken = default)
    {
        var name = NewBucketName(prefix);
        await _admin.PutBucketAsync(new PutBucketRequest { BucketName = name }, cancellationToken);
        return name;
    }

    /// <summary>A bucket name (lower case, unique per call) that names no bucket yet.</summary>
    public static string NewBucketName(string prefix = "tlc") => $"{prefix.ToLowerInvariant()}-{Guid.NewGuid():N}"[..Math.Min(prefix.Length + 33, 63)];

    /// <summary>Stops the server and deletes its folder.</summary>
    public async ValueTask DisposeAsync()
    {
        _admin.Dispose();
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }
        _process.Dispose();
        try
        {
            Directory.Delete(_folder, recursive: true);
        }
        catch (IOException)
        {
            // Clean-up only.
        }
    }
}
