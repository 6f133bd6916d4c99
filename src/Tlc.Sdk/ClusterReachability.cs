using System.Collections.Immutable;
using Tlc.Silo.Hosting;
using Tlc.Tables.Configuration;

namespace Tlc;

/// <summary>
/// Whether this process reaches a silo of its cluster, as its Orleans client finds out: an outage starts when the
/// connection to the last gateway closes (a silo died or stopped) and ends when one opens again (the client's next call
/// found a silo — for the embedded default, the one <c>.silo/silo.json</c> names now, on whatever ports it took). An
/// outage is reported to the subscribers once it has lasted <see cref="ReportAfter"/> (a blip is not), and again when it
/// ends. Clients waiting for a job give up after <see cref="ReconnectTimeout"/> (<see cref="ThrowIfGivenUp"/>); workers
/// wait however long it takes.
/// </summary>
public sealed class ClusterReachability
{
    private readonly Lock _gate = new();
    // Held while an outage is told to the observers, so that "over" never overtakes the report it ends.
    private readonly Lock _telling = new();
    private readonly TimeProvider _time;
    private readonly Func<bool>? _siloRuns;
    private ImmutableArray<IProgress<ClusterOutage>> _observers = [];
    private TaskCompletionSource _nextLoss = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private DateTimeOffset? _lostAt;
    private ClusterOutage? _reported;
    private ITimer? _report;
    private long _outages;
    private bool _closed;

    /// <summary>Creates the bookkeeping of one cluster connection.</summary>
    /// <param name="cluster">What is reached: the root URL (embedded) or the cluster id (a shared cluster).</param>
    /// <param name="embedded">True for the embedded silo of a root.</param>
    /// <param name="reconnectTimeout">How long a waiting client waits through an outage (<c>cluster.reconnect_timeout_seconds</c>).</param>
    /// <param name="time">The clock. Default: the system clock.</param>
    /// <param name="siloRuns">Whether a running process serves the root (embedded), asked when an outage is reported. Default: none (unknown).</param>
    /// <param name="reportAfter">How long an outage lasts before it is reported. Default: 1 s.</param>
    public ClusterReachability(string cluster, bool embedded, TimeSpan reconnectTimeout, TimeProvider? time = null, Func<bool>? siloRuns = null,
        TimeSpan? reportAfter = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(cluster);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(reconnectTimeout, TimeSpan.Zero);
        Cluster = cluster;
        Embedded = embedded;
        ReconnectTimeout = reconnectTimeout;
        ReportAfter = reportAfter ?? TimeSpan.FromSeconds(1);
        _time = time ?? TimeProvider.System;
        _siloRuns = siloRuns;
    }

    /// <summary>The bookkeeping for a connection made with <paramref name="settings"/>: the root's embedded silo, or the shared cluster.</summary>
    public static ClusterReachability For(TlcOptions settings, TimeProvider? time = null)
    {
        ArgumentNullException.ThrowIfNull(settings);
        var timeout = TimeSpan.FromSeconds(settings.Cluster.ReconnectTimeoutSeconds);
        if (settings.Cluster.IsShared)
        {
            return new ClusterReachability(settings.Cluster.ClusterId, embedded: false, timeout, time);
        }
        var root = settings.RootUrl;
        return new ClusterReachability(root.Value, embedded: true, timeout, time, () => EmbeddedSilo.ReadRecord(root) is { GatewayPort: > 0 } silo && silo.IsAlive);
    }

    /// <summary>What is reached: the root URL (embedded) or the cluster id (a shared cluster).</summary>
    public string Cluster { get; }

    /// <summary>True for the embedded silo of a root.</summary>
    public bool Embedded { get; }

    /// <summary>How long a client waiting for a job waits through an outage before it gives up (<c>cluster.reconnect_timeout_seconds</c>; default 300 s).</summary>
    public TimeSpan ReconnectTimeout { get; }

    /// <summary>How long an outage lasts before it is reported to the subscribers. Default: 1 s.</summary>
    public TimeSpan ReportAfter { get; }

    /// <summary>
    /// The outage going on, reported or not yet; null while a gateway is connected. Until it is reported its
    /// <see cref="ClusterOutage.NoSilo"/> is false (the silo record is read when it is reported).
    /// </summary>
    public ClusterOutage? Outage
    {
        get
        {
            lock (_gate)
            {
                return _reported ?? (_lostAt is { } since ? new ClusterOutage(Cluster, Embedded, NoSilo: false, since) : null);
            }
        }
    }

    /// <summary>A task that completes when the connection to the last gateway closes next.</summary>
    internal Task NextLoss
    {
        get
        {
            lock (_gate)
            {
                return _nextLoss.Task;
            }
        }
    }

    /// <summary>
    /// Tells <paramref name="observer"/> of each outage once it has lasted <see cref="ReportAfter"/>, and again when it ends
    /// (<see cref="ClusterOutage.IsOver"/>), on the thread that found out; until the returned subscription is disposed.
    /// </summary>
    public IDisposable Subscribe(IProgress<ClusterOutage> observer)
    {
        ArgumentNullException.ThrowIfNull(observer);
        lock (_gate)
        {
            _observers = _observers.Add(observer);
        }
        return new Subscription(this, observer);
    }

    /// <summary>
    /// Throws when an outage has lasted <see cref="ReconnectTimeout"/> or longer (a waiting client then gives up); does
    /// nothing while a gateway is connected or before then.
    /// </summary>
    /// <exception cref="ClusterUnavailableException">The outage has lasted <see cref="ReconnectTimeout"/>.</exception>
    public void ThrowIfGivenUp()
    {
        DateTimeOffset since;
        lock (_gate)
        {
            if (_lostAt is not { } lostAt)
            {
                return;
            }
            since = lostAt;
        }
        if (_time.GetLocalNow() - since >= ReconnectTimeout)
        {
            throw new ClusterUnavailableException(new ClusterOutage(Cluster, Embedded, NoSilo(), since), ReconnectTimeout);
        }
    }

    /// <summary>The connection to the last gateway closed: in-flight calls are failed (<see cref="NextLoss"/>) and an outage starts.</summary>
    internal void OnConnectionLost()
    {
        TaskCompletionSource lost;
        lock (_gate)
        {
            if (_closed)
            {
                return;
            }
            lost = _nextLoss;
            _nextLoss = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            if (_lostAt is null)
            {
                _lostAt = _time.GetLocalNow();
                var outage = ++_outages;
                _report?.Dispose();
                _report = _time.CreateTimer(_ => Report(outage), null, ReportAfter, Timeout.InfiniteTimeSpan);
            }
        }
        lost.TrySetResult();
    }

    /// <summary>A connection to a gateway opened: the outage, if any, ends (and is reported as over when it was reported).</summary>
    internal void OnConnectionRecovered()
    {
        lock (_telling)
        {
            ClusterOutage? over = null;
            lock (_gate)
            {
                if (_lostAt is null)
                {
                    return;
                }
                _report?.Dispose();
                _report = null;
                if (_reported is { } reported && !_closed)
                {
                    over = reported with { Ended = _time.GetLocalNow() };
                }
                _lostAt = null;
                _reported = null;
            }
            if (over is not null)
            {
                Notify(over);
            }
        }
    }

    /// <summary>This process disconnects: the connection closing from now on is no outage.</summary>
    internal void Close()
    {
        lock (_gate)
        {
            _closed = true;
            _report?.Dispose();
            _report = null;
        }
    }

    private void Report(long outage)
    {
        var noSilo = NoSilo();
        lock (_telling)
        {
            ClusterOutage reported;
            lock (_gate)
            {
                if (_closed || _outages != outage || _lostAt is not { } since || _reported is not null)
                {
                    return;
                }
                _reported = reported = new ClusterOutage(Cluster, Embedded, noSilo, since);
            }
            Notify(reported);
        }
    }

    private bool NoSilo() => Embedded && _siloRuns is { } runs && !runs();

    private void Notify(ClusterOutage outage)
    {
        ImmutableArray<IProgress<ClusterOutage>> observers;
        lock (_gate)
        {
            observers = _observers;
        }
        foreach (var observer in observers)
        {
            try
            {
                observer.Report(outage);
            }
            catch (Exception e) when (e is IOException or ObjectDisposedException)
            {
                // An observer that writes to a closed console or a disposed logger must not stop the bookkeeping.
            }
        }
    }

    private void Unsubscribe(IProgress<ClusterOutage> observer)
    {
        lock (_gate)
        {
            _observers = _observers.Remove(observer);
        }
    }

    private sealed class Subscription(ClusterReachability owner, IProgress<ClusterOutage> observer) : IDisposable
    {
        public void Dispose() => owner.Unsubscribe(observer);
    }
}
