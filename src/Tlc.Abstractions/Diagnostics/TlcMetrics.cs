using System.Diagnostics.Metrics;

using Tlc.Cluster;

namespace Tlc.Diagnostics;

/// <summary>
/// Tlc's OpenTelemetry metrics: one <see cref="Meter"/> named <see cref="MeterName"/> and its instruments, recorded where
/// the events happen — job and work-item grains in the silo (commits accepted, lease expiries, retries, job durations)
/// and workers (rows converted or computed, items in flight, item durations). Every measurement carries the tag
/// <see cref="KindTag"/> (<see cref="Metrics"/> or <see cref="Imports"/>); none carries a job id (unbounded cardinality).
/// Instruments are thread-safe; measurements cost nothing until a listener (an exporter, a test) subscribes.
/// Rows per second is the rate of <see cref="Rows"/> (what every OpenTelemetry backend derives from a counter).
/// </summary>
public static class TlcMetrics
{
    /// <summary>The meter's name (<c>AddMeter("Tlc")</c> in an OpenTelemetry setup).</summary>
    public const string MeterName = "Tlc";

    /// <summary>The tag naming a job's kind: <see cref="Metrics"/> or <see cref="Imports"/>.</summary>
    public const string KindTag = "tlc.job.kind";

    /// <summary>The tag naming how a job ended (on <see cref="JobDuration"/>): <c>completed</c>, <c>failed</c> or <c>cancelled</c>.</summary>
    public const string StatusTag = "tlc.job.status";

    /// <summary>The kind of a collect-metrics job (its items are shards).</summary>
    public const string Metrics = "metrics";

    /// <summary>The kind of an import job (its items are chunks).</summary>
    public const string Imports = "import";

    private static readonly Meter TheMeter = new(MeterName, typeof(TlcMetrics).Assembly.GetName().Version?.ToString());

    /// <summary>The meter (for listeners that filter on the instance).</summary>
    public static Meter Meter => TheMeter;

    /// <summary><c>tlc.job.rows</c> ({row}): rows a worker converted (import) or computed (metrics) in an item whose commit was accepted.</summary>
    public static Counter<long> Rows { get; } = TheMeter.CreateCounter<long>("tlc.job.rows", "{row}",
        "Rows workers converted (import) or computed (metrics) in committed shards and chunks; its rate is rows per second.");

    /// <summary><c>tlc.job.items.committed</c> ({item}): shards and chunks whose commit the cluster accepted (once per item).</summary>
    public static Counter<long> ItemsCommitted { get; } = TheMeter.CreateCounter<long>("tlc.job.items.committed", "{item}",
        "Metrics shards and import chunks whose commit the cluster accepted.");

    /// <summary><c>tlc.worker.items.in_flight</c> ({item}): shards and chunks workers hold a lease on and are working on.</summary>
    public static UpDownCounter<long> ItemsInFlight { get; } = TheMeter.CreateUpDownCounter<long>("tlc.worker.items.in_flight", "{item}",
        "Metrics shards and import chunks workers are computing or converting now.");

    /// <summary><c>tlc.worker.item.duration</c> (s): how long a worker took from lease to accepted commit of a shard or chunk.</summary>
    public static Histogram<double> ItemDuration { get; } = TheMeter.CreateHistogram<double>("tlc.worker.item.duration", "s",
        "Seconds from lease to accepted commit of a shard or chunk.");

    /// <summary><c>tlc.job.lease.expirations</c> ({lease}): leases that ran out and were reclaimed for another worker.</summary>
    public static Counter<long> LeaseExpirations { get; } = TheMeter.CreateCounter<long>("tlc.job.lease.expirations", "{lease}",
        "Leases on shards and chunks that ran out and were reclaimed.");

    /// <summary><c>tlc.job.retries</c> ({attempt}): leases granted for a second or later attempt at an item.</summary>
    public static Counter<long> Retries { get; } = TheMeter.CreateCounter<long>("tlc.job.retries", "{attempt}",
        "Leases granted for a second or later attempt at a shard or chunk.");

    /// <summary><c>tlc.job.duration</c> (s): from a job's first lease (or submission) to its end, tagged with its kind and status.</summary>
    public static Histogram<double> JobDuration { get; } = TheMeter.CreateHistogram<double>("tlc.job.duration", "s",
        "Seconds from a job's first lease to its end.");

    /// <summary>The tag list for a job kind.</summary>
    public static KeyValuePair<string, object?> Kind(string kind) => new(KindTag, kind);

    /// <summary>Records an item committed (accepted) by the cluster.</summary>
    public static void ItemCommitted(string kind) => ItemsCommitted.Add(1, Kind(kind));

    /// <summary>Records a lease that expired and was reclaimed.</summary>
    public static void LeaseExpired(string kind) => LeaseExpirations.Add(1, Kind(kind));

    /// <summary>Records a lease granted for a retry (attempt 2 or later).</summary>
    public static void Retried(string kind) => Retries.Add(1, Kind(kind));

    /// <summary>Records a job's end: its duration in seconds from <paramref name="started"/> to <paramref name="finished"/>.</summary>
    /// <remarks>A job that ended before its first lease (cancelled while pending) has no duration and is not recorded.</remarks>
    public static void JobEnded(string kind, JobStatus status, DateTimeOffset? started, DateTimeOffset? finished)
    {
        if (started is { } start && finished is { } end)
        {
            var name = status switch
            {
                JobStatus.Completed => "completed",
                JobStatus.Failed => "failed",
                JobStatus.Cancelled => "cancelled",
                _ => "unfinished",
            };
            JobDuration.Record(Math.Max(0, (end - start).TotalSeconds), Kind(kind), new KeyValuePair<string, object?>(StatusTag, name));
        }
    }

    /// <summary>Counts an item in flight on a worker up (call <see cref="ItemEnded"/> when its work ends, however it ends).</summary>
    public static void ItemStarted(string kind) => ItemsInFlight.Add(1, Kind(kind));

    /// <summary>Counts an item in flight on a worker down.</summary>
    public static void ItemEnded(string kind) => ItemsInFlight.Add(-1, Kind(kind));

    /// <summary>Records an item whose commit was accepted by a worker: its rows and its duration.</summary>
    public static void ItemDone(string kind, long rows, TimeSpan elapsed)
    {
        Rows.Add(rows, Kind(kind));
        ItemDuration.Record(elapsed.TotalSeconds, Kind(kind));
    }
}
