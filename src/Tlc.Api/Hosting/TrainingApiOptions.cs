namespace Tlc.Api.Hosting;

/// <summary>Where and how the training API listens (<c>tlc api</c>).</summary>
public sealed class TrainingApiOptions
{
    /// <summary>The default port: 8765.</summary>
    public const int DefaultPort = 8765;

    /// <summary>The address to bind. Default: 127.0.0.1 (this machine only; any other address requires <see cref="Token"/>).</summary>
    public string Host { get; init; } = "127.0.0.1";

    /// <summary>The port (0: a free one). Default: <see cref="DefaultPort"/>.</summary>
    public int Port { get; init; } = DefaultPort;

    /// <summary>
    /// The bearer token every request must carry (<c>Authorization: Bearer …</c>; compared in constant time). Default: null —
    /// none, which only loopback allows: bound to another address without one, the host refuses to start.
    /// </summary>
    public string? Token { get; init; }

    /// <summary>The most bytes one request may carry. Default: 64 MiB.</summary>
    public long MaxRequestBytes { get; init; } = 64L << 20;
}
