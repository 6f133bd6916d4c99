using System.Globalization;

namespace Tlc;

/// <summary>
/// A client waited for a job longer than <c>cluster.reconnect_timeout_seconds</c> while it reached no silo. The job is
/// durable: it goes on once a silo serves again, and <c>tlc job show</c> / <c>tlc import show</c> follow it then.
/// </summary>
/// <param name="outage">The outage, as it stood when the client gave up.</param>
/// <param name="waited">How long the client had waited.</param>
public sealed class ClusterUnavailableException(ClusterOutage outage, TimeSpan waited) : InvalidOperationException(Describe(outage, waited))
{
    /// <summary>The outage the client gave up on.</summary>
    public ClusterOutage Outage { get; } = outage;

    /// <summary>How long the client had waited.</summary>
    public TimeSpan Waited { get; } = waited;

    private static string Describe(ClusterOutage outage, TimeSpan waited)
    {
        ArgumentNullException.ThrowIfNull(outage);
        var what = outage.Describe();
        var gaveUp = string.Create(CultureInfo.InvariantCulture, $"gave up waiting after {waited.TotalSeconds:F0} s (cluster.reconnect_timeout_seconds)");
        var resume = outage.Embedded
            ? $"the job is kept and goes on once a silo serves the root again ('tlc silo --root {outage.Cluster}')"
            : "the job is kept and goes on once a silo of the cluster runs again";
        return $"{char.ToUpperInvariant(what[0])}{what[1..]}: {gaveUp}; {resume}.";
    }
}
