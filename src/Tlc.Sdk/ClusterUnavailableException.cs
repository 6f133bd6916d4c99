using System.Globalization;

namespace Tlc;

/// <summary>
/// A client waited for a job through an outage longer than <c>cluster.reconnect_timeout_seconds</c>: it reached no silo.
/// The job is durable: it goes on once a silo serves again, and <c>tlc job show</c> / <c>tlc import show</c> follow it then.
/// </summary>
/// <param name="outage">The outage, as it stood when the client gave up.</param>
/// <param name="reconnectTimeout">How long the client was to wait (<c>cluster.reconnect_timeout_seconds</c>).</param>
public sealed class ClusterUnavailableException(ClusterOutage outage, TimeSpan reconnectTimeout)
    : InvalidOperationException(Describe(outage, reconnectTimeout))
{
    /// <summary>The outage the client gave up on.</summary>
    public ClusterOutage Outage { get; } = outage;

    /// <summary>How long the client was to wait (<c>cluster.reconnect_timeout_seconds</c>).</summary>
    public TimeSpan ReconnectTimeout { get; } = reconnectTimeout;

    private static string Describe(ClusterOutage outage, TimeSpan reconnectTimeout)
    {
        ArgumentNullException.ThrowIfNull(outage);
        var what = outage.Describe();
        var gaveUp = string.Create(CultureInfo.InvariantCulture, $"gave up waiting after {reconnectTimeout.TotalSeconds:0.###} s (cluster.reconnect_timeout_seconds)");
        var resume = outage.Embedded
            ? $"the job is kept and goes on once a silo serves the root again ('tlc silo --root {outage.Cluster}')"
            : "the job is kept and goes on once a silo of the cluster runs again";
        return $"{char.ToUpperInvariant(what[0])}{what[1..]}: {gaveUp}; {resume}.";
    }
}
