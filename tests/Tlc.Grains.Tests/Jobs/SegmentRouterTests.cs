using Tlc.Cluster;
using Tlc.Grains.Jobs;

namespace Tlc.Grains.Tests.Jobs;

public sealed class SegmentRouterTests
{
    private static readonly DateTimeOffset Now = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    private static SegmentSummary Summary(int segment, long version, int items, int pending = 0, int leased = 0, int committed = 0, int failed = 0, DateTimeOffset? deadline = null) => new()
    {
        Segment = segment, Version = version, Items = items, Pending = pending, Leased = leased, Committed = committed, Failed = failed,
        EarliestDeadline = deadline ?? DateTimeOffset.MaxValue, Initialised = true, RowsCommitted = committed * 10L,
    };

    [Fact]
    public void Reset_SegmentsNeverHeardOf_CountAsAllPending()
    {
        var router = new SegmentRouter();
        router.Reset(3, s => s < 2 ? 1024 : 100);

        Assert.Equal(2148, router.Items);
        Assert.Equal(0, router.Committed);
        Assert.Equal([(0, 1024), (1, 500)], router.Route(1524, Now));
    }

    [Fact]
    public void Route_Pending_ReservedCountsSendTheNextRequestElsewhere()
    {
        var router = new SegmentRouter();
        router.Reset(3, _ => 10);

        var first = router.Route(8, Now);
        var second = router.Route(8, Now);

        Assert.Equal([(0, 8)], first);
        Assert.Equal([(0, 2), (1, 6)], second);
        router.Release(0, 8);
        router.Release(0, 2);
        Assert.Equal([(0, 4)], router.Route(4, Now));
    }

    [Fact]
    public void Route_NoPending_SegmentsWhoseEarliestLeaseRanOut_OnlyThose()
    {
        var router = new SegmentRouter();
        router.Reset(3, _ => 10);
        router.Apply(Summary(0, 1, 10, leased: 3, committed: 7, deadline: Now.AddSeconds(-1)));
        router.Apply(Summary(1, 1, 10, leased: 10, deadline: Now.AddSeconds(5)));
        router.Apply(Summary(2, 1, 10, committed: 10));

        Assert.Equal([(0, 3)], router.Route(4, Now));
        Assert.Empty(router.Route(4, Now.AddSeconds(-2)));
        router.Release(0, 3);
        Assert.Equal([(0, 3), (1, 7)], router.Route(10, Now.AddSeconds(6)));
    }

    [Fact]
    public void Route_ExpiredLeasesAndPendingItems_ExpiredFirstThenPending()
    {
        var router = new SegmentRouter();
        router.Reset(3, _ => 10);
        router.Apply(Summary(0, 1, 10, pending: 6, leased: 4, deadline: Now.AddSeconds(5)));
        router.Apply(Summary(1, 1, 10, pending: 8, leased: 2, deadline: Now.AddSeconds(-1)));

        // Segment 1's expired leases before segment 0's fresh items; segment 0's live leases are not routed.
        Assert.Equal([(1, 2), (0, 6), (2, 2)], router.Route(10, Now));
        // What was routed is reserved: a second request goes to segment 1 for as many as its report still covers
        // (8 pending + 2 expired − 2 routed, at most its 2 leased), then to segment 2's remaining 8.
        Assert.Equal([(1, 2), (2, 6)], router.Route(8, Now));
    }

    [Fact]
    public void Apply_OlderVersion_Ignored_TotalsFollowTheLatest()
    {
        var router = new SegmentRouter();
        router.Reset(2, _ => 10);
        router.Apply(Summary(0, 5, 10, committed: 6, pending: 4));
        router.Apply(Summary(0, 3, 10, committed: 1, pending: 9));
        router.Apply(Summary(1, 1, 10, committed: 10));

        Assert.Equal(16, router.Committed);
        Assert.Equal(160, router.Rows);
        Assert.False(router.AllCommitted);
        router.Apply(Summary(0, 6, 10, committed: 10));
        Assert.True(router.AllCommitted);
    }

    [Fact]
    public void Apply_SegmentThatDoesNotExistYet_SaysNothing()
    {
        var router = new SegmentRouter();
        router.Reset(1, _ => 10);
        router.Apply(new SegmentSummary { Segment = 0, Version = 9, Initialised = false });

        Assert.Equal(10, router.Items);
        Assert.False(router.IsInitialised(0));
        Assert.Equal([(0, 10)], router.Route(10, Now));
    }

    [Fact]
    public void FailedSegments_NameThoseReportingFailures()
    {
        var router = new SegmentRouter();
        router.Reset(3, _ => 10);
        router.Apply(Summary(1, 1, 10, failed: 1, committed: 9));

        Assert.Equal([1], router.FailedSegments());
        Assert.Equal(1, router.Failed);
    }
}
