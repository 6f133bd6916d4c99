using System.Globalization;

namespace Tlc;

/// <summary>
/// A time this process reached no silo of its cluster: from when the connection to its last gateway closed until one
/// opened again (<see cref="ClusterReachability"/> reports each one when it has lasted a moment, and again when it ends).
/// </summary>
/// <param name="Cluster">What was unreachable: the root URL (embedded default) or the cluster id (azure mode).</param>
/// <param name="Embedded">True for the embedded silo of a root, false for an azure cluster.</param>
/// <param name="NoSilo">
/// True when no running process served the root when the outage was reported (its silo record names a process that
/// has ended); false when one still runs but does not answer, and always in azure mode.
/// </param>
/// <param name="Since">When the connection to the last gateway closed (local time).</param>
/// <param name="Ended">When a connection to a gateway opened again; null while the outage lasts.</param>
public sealed record ClusterOutage(string Cluster, bool Embedded, bool NoSilo, DateTimeOffset Since, DateTimeOffset? Ended = null)
{
    /// <summary>True once a gateway answers again.</summary>
    public bool IsOver => Ended is not null;

    /// <summary>How long it lasted (until <paramref name="now"/> while it lasts).</summary>
    public TimeSpan Duration(DateTimeOffset now) => (Ended ?? now) - Since;

    /// <summary>
    /// What happened, as a clause to start a line with: <c>no silo serves file:///data/tlc (since 12:03:04)</c>, or
    /// once it is over <c>the silo of file:///data/tlc answers again after 8.2 s</c>.
    /// </summary>
    public string Describe()
    {
        if (Ended is { } ended)
        {
            var after = string.Create(CultureInfo.InvariantCulture, $"after {(ended - Since).TotalSeconds:F1} s");
            return Embedded ? $"the silo of {Cluster} answers again {after}" : $"cluster '{Cluster}' answers again {after}";
        }
        var since = Since.ToString("HH:mm:ss", CultureInfo.InvariantCulture);
        return (Embedded, NoSilo) switch
        {
            (true, true) => $"no silo serves {Cluster} (since {since})",
            (true, false) => $"the silo of {Cluster} does not answer (since {since})",
            _ => $"no gateway of cluster '{Cluster}' answers (since {since})",
        };
    }
}
