namespace Tlc.Api.Hosting;

/// <summary>Where and how the training API listens (<c>tlc api</c>).</summary>
public sealed class TrainingApiOptions
{
    /// <summary>The default port: 8765.</summary>
    public const int DefaultPort = 8765;

    /// <summary>The environment variable <c>tlc api</c> reads the token from when <c>--token</c> is not given.</summary>
    public const string TokenVariable = "TLC_API_TOKEN";

    /// <summary>The address to bind. Default: 127.0.0.1 (this machine only; any other address requires <see cref="Token"/>).</summary>
    public string Host { get; init; } = "127.0.0.1";

    /// <summary>The port (0: a free one). Default: <see cref="DefaultPort"/>.</summary>
    public int Port { get; init; } = DefaultPort;

    /// <summary>
    /// The bearer token every request must carry (<c>Authorization: Bearer …</c>). Default: null — none on loopback; bound to
    /// another address the host makes one up and prints it once.
    /// </summary>
    public string? Token { get; init; }

    /// <summary>The most bytes one request may carry. Default: 64 MiB.</summary>
    public long MaxRequestBytes { get; init; } = 64L << 20;
}
