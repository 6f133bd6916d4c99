using System.Collections.Concurrent;

namespace Tlc.Sdk.Tests;

/// <summary>
/// The bookkeeping of a cluster connection's outages, fed the way the Orleans client feeds it (the connection to the
/// last gateway closed; one opened again), on the real clock.
/// </summary>
public sealed class ClusterReachabilityTests
{
    private static readonly TimeSpan Short = TimeSpan.FromMilliseconds(50);

    [Fact(Timeout = 30_000)]
    public async Task ConnectionLost_LastsPastReportAfter_ReportedOnceThenOverOnce()
    {
        var reachability = new ClusterReachability("file:///data/tlc", embedded: true, TimeSpan.FromMinutes(5), siloRuns: () => false, reportAfter: Short);
        var told = new Observer();
        using var _ = reachability.Subscribe(told);

        reachability.OnConnectionLost();
        var lost = await told.NextAsync();
        reachability.OnConnectionLost(); // a second closing within the same outage starts none
        await Task.Delay(Short * 4);
        reachability.OnConnectionRecovered();
        var over = await told.NextAsync();

        Assert.False(lost.IsOver);
        Assert.True(lost.NoSilo);
        Assert.StartsWith("no silo serves file:///data/tlc (since ", lost.Describe(), StringComparison.Ordinal);
        Assert.True(over.IsOver);
        Assert.Equal(lost.Since, over.Since);
        Assert.Matches(@"^the silo of file:///data/tlc answers again after \d+\.\d s$", over.Describe());
        Assert.Null(reachability.Outage);
        Assert.Equal(2, told.Count);
    }

    [Fact(Timeout = 30_000)]
    public async Task ConnectionLost_RecoveredBeforeReportAfter_NothingReported()
    {
        var reachability = new ClusterReachability("tlc", embedded: false, TimeSpan.FromMinutes(5), reportAfter: TimeSpan.FromMilliseconds(300));
        var told = new Observer();
        using var _ = reachability.Subscribe(told);

        reachability.OnConnectionLost();
        Assert.NotNull(reachability.Outage);
        reachability.OnConnectionRecovered();
        await Task.Delay(TimeSpan.FromMilliseconds(600));

        Assert.Equal(0, told.Count);
        Assert.Null(reachability.Outage);
    }

    [Fact(Timeout = 30_000)]
    public async Task ThrowIfGivenUp_OutageLongerThanReconnectTimeout_ThrowsOneLineNamingTheSetting()
    {
        var reachability = new ClusterReachability("file:///data/tlc", embedded: true, TimeSpan.FromMilliseconds(200), siloRuns: () => false, reportAfter: Short);
        reachability.ThrowIfGivenUp();
        reachability.OnConnectionLost();
        reachability.ThrowIfGivenUp();

        await Task.Delay(TimeSpan.FromMilliseconds(300));
        var error = Assert.Throws<ClusterUnavailableException>(reachability.ThrowIfGivenUp);

        Assert.Matches(@"^No silo serves file:///data/tlc \(since \d\d:\d\d:\d\d\): gave up waiting after 0\.2 s \(cluster\.reconnect_timeout_seconds\); " +
            @"the job is kept and goes on once a silo serves the root again \('tlc silo --root file:///data/tlc'\)\.$", error.Message);
        Assert.Equal(TimeSpan.FromMilliseconds(200), error.ReconnectTimeout);
        reachability.OnConnectionRecovered();
        reachability.ThrowIfGivenUp();
    }

    [Fact(Timeout = 30_000)]
    public async Task NextLoss_ConnectionLost_CompletesAndTheNextOneWaitsForTheNextLoss()
    {
        var reachability = new ClusterReachability("tlc", embedded: false, TimeSpan.FromMinutes(5));
        var first = reachability.NextLoss;
        Assert.False(first.IsCompleted);

        reachability.OnConnectionLost();

        await first;
        Assert.False(reachability.NextLoss.IsCompleted);
    }

    [Fact(Timeout = 30_000)]
    public async Task Closed_ConnectionLost_NoOutageAndNoCallFailed()
    {
        var reachability = new ClusterReachability("tlc", embedded: false, TimeSpan.FromMinutes(5), reportAfter: Short);
        var told = new Observer();
        using var _ = reachability.Subscribe(told);
        var next = reachability.NextLoss;

        reachability.Close();
        reachability.OnConnectionLost();
        await Task.Delay(Short * 4);

        Assert.Null(reachability.Outage);
        Assert.False(next.IsCompleted);
        Assert.Equal(0, told.Count);
    }

    /// <summary>Collects what it is told, in order.</summary>
    private sealed class Observer : IProgress<ClusterOutage>
    {
        private readonly BlockingCollection<ClusterOutage> _told = [];
        private int _count;

        public int Count => Volatile.Read(ref _count);

        public void Report(ClusterOutage value)
        {
            Interlocked.Increment(ref _count);
            _told.Add(value);
        }

        public Task<ClusterOutage> NextAsync() => Task.Run(() => _told.Take(TestContext.Current.CancellationToken));
    }
}
