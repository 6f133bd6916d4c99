using Tlc.Cluster;
using Tlc.Testing;
using Tlc.Testing.Cluster.Kernel;

namespace Tlc.Grains.Tests.Jobs;

/// <summary>A silo restarted under a job: segments replay their snapshot and deltas, the job its summaries.</summary>
public sealed class JobRestartTests : IDisposable
{
    private readonly TempRoot _root = new("kernel-restart");

    public void Dispose() => _root.Dispose();

    [Fact(Timeout = 120_000)]
    public async Task SiloRestarted_MidJob_EveryItemAsBefore_LeasesHeldGetGrace_JobCompletes()
    {
        await using var silo = await KernelSilo.StartAsync(Path.Combine(_root.Path, "state"));
        var id = "restart-job";
        var spec = new ProbeJobSpec { JobId = id, Items = 3000, ItemsPerSegment = 1024 };
        await silo.Client.GetGrain<IJobGrain>(id).SubmitAsync(spec);
        var worker = new WorkerRef("w", "1");
        // Enough commits in small groups for both snapshots and deltas to exist.
        for (var round = 0; round < 40; round++)
        {
            var grants = (await silo.Client.GetGrain<IJobGrain>(id).LeaseAsync(worker, 50)).Grants;
            await Task.WhenAll(grants.Take(40).Select(g => silo.Client.GetGrain<IJobSegmentGrain>(JobKeys.Segment(id, g.Item / 1024))
                .CommitAsync(new ProbeCommit { Item = g.Item, OperationId = $"op{g.Item}", Attempt = g.Attempt, Token = g.Token, Rows = 1 })));
        }
        var before = await ItemsAsync(silo, id);
        var progressBefore = await silo.Client.GetGrain<IJobGrain>(id).GetProgressAsync();

        await silo.RestartAsync();
        var after = await ItemsAsync(silo, id);
        var progressAfter = await silo.Client.GetGrain<IJobGrain>(id).GetProgressAsync();

        Assert.Equal(before.Select(i => (i.Index, i.Lease.Status, i.Lease.Attempt, i.Commit?.OperationId)), after.Select(i => (i.Index, i.Lease.Status, i.Lease.Attempt, i.Commit?.OperationId)));
        Assert.Equal((1600, 400), (progressAfter.ItemsCommitted, progressAfter.ItemsLeased));
        Assert.Equal((progressBefore.ItemsCommitted, progressBefore.ItemsLeased), (progressAfter.ItemsCommitted, progressAfter.ItemsLeased));
        // The leases held before the restart get half a lease more: not reclaimed at once, nor after a third of a lease.
        Assert.Equal(1000, (await silo.Client.GetGrain<IJobGrain>(id).LeaseAsync(worker, 1500)).Grants.Length);
        silo.Clock.Advance(spec.LeaseDuration / 3);
        Assert.Empty((await silo.Client.GetGrain<IJobGrain>(id).LeaseAsync(worker, 1500)).Grants);
        silo.Clock.Advance(spec.LeaseDuration);
        var reclaimed = (await silo.Client.GetGrain<IJobGrain>(id).LeaseAsync(worker, 3000)).Grants;
        Assert.Equal(1400, reclaimed.Length);
        await Task.WhenAll(reclaimed.Select(g => silo.Client.GetGrain<IJobSegmentGrain>(JobKeys.Segment(id, g.Item / 1024))
            .CommitAsync(new ProbeCommit { Item = g.Item, OperationId = $"op{g.Item}", Attempt = g.Attempt, Token = g.Token, Rows = 1 })));
        var done = await silo.Client.GetGrain<IJobGrain>(id).WaitForEndAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(JobStatus.Completed, done.Status);
        Assert.Equal(3000, silo.Probes.Published[id]);
    }

    [Fact(Timeout = 120_000)]
    public async Task SiloRestartedTwice_HolderNeverRenews_GraceGivenOnce_LeaseReclaimedHalfALeaseAfterTheFirstRestart()
    {
        // A dead holder's lease must run out even while silos keep failing: each restart used to push it back again.
        await using var silo = await KernelSilo.StartAsync(Path.Combine(_root.Path, "state"));
        var id = "grace-once";
        var spec = new ProbeJobSpec { JobId = id, Items = 10, ItemsPerSegment = 10 };
        var job = silo.Client.GetGrain<IJobGrain>(id);
        await job.SubmitAsync(spec);
        Assert.Equal(10, (await job.LeaseAsync(new WorkerRef("dead", "1"), 10)).Grants.Length);
        var other = new WorkerRef("alive", "2");

        silo.Clock.Advance(spec.LeaseDuration * 0.9);
        await silo.RestartAsync();
        Assert.Empty((await silo.Client.GetGrain<IJobGrain>(id).LeaseAsync(other, 10)).Grants);
        silo.Clock.Advance(spec.LeaseDuration * 0.4);
        await silo.RestartAsync();
        // Half a lease after the first restart: no second grace, so every item is free again.
        silo.Clock.Advance(spec.LeaseDuration * 0.11);
        var reclaimed = (await silo.Client.GetGrain<IJobGrain>(id).LeaseAsync(other, 10)).Grants;
        Assert.Equal(10, reclaimed.Length);
        Assert.All(reclaimed, g => Assert.Equal(2, g.Attempt));
    }

    [Fact(Timeout = 120_000)]
    public async Task SiloRestarted_RenewedSince_GraceGivenAgainAfterTheNextRestart()
    {
        await using var silo = await KernelSilo.StartAsync(Path.Combine(_root.Path, "state"));
        var id = "grace-renewed";
        var spec = new ProbeJobSpec { JobId = id, Items = 2, ItemsPerSegment = 2 };
        await silo.Client.GetGrain<IJobGrain>(id).SubmitAsync(spec);
        var grants = (await silo.Client.GetGrain<IJobGrain>(id).LeaseAsync(new WorkerRef("live", "1"), 2)).Grants;
        Assert.Equal(2, grants.Length);
        var segment = JobKeys.Segment(id, 0);
        var other = new WorkerRef("other", "2");

        silo.Clock.Advance(spec.LeaseDuration * 0.9);
        await silo.RestartAsync();
        // The live holder renews item 0 after the restart; its commit of item 1 makes the renewal durable with it.
        Assert.Equal(RenewOutcome.Renewed, await silo.Client.GetGrain<IJobSegmentGrain>(segment).RenewAsync(grants[0].Item, grants[0].Token));
        await silo.Client.GetGrain<IJobSegmentGrain>(segment).CommitAsync(new ProbeCommit { Item = grants[1].Item, OperationId = "op1", Attempt = 1, Token = grants[1].Token, Rows = 1 });
        silo.Clock.Advance(spec.LeaseDuration * 0.9);
        await silo.RestartAsync();
        // The renewed lease (deadline 0.9 + 1 = 1.9 leases) is pushed back again to half a lease after this restart.
        silo.Clock.Advance(spec.LeaseDuration * 0.3);
        Assert.Empty((await silo.Client.GetGrain<IJobGrain>(id).LeaseAsync(other, 2)).Grants);
    }

    [Fact(Timeout = 120_000)]
    public async Task SiloRestartedTwice_HolderRenewedOnlyBetween_KeepsItsLease()
    {
        // Found by the chaos run: a renewal is written lazily, so the mark of the grace stayed on disk after the live holder
        // renewed, and the next restart, with no write between, took the live worker's lease at once.
        await using var silo = await KernelSilo.StartAsync(Path.Combine(_root.Path, "state"));
        var id = "grace-renewed-only";
        var spec = new ProbeJobSpec { JobId = id, Items = 1, ItemsPerSegment = 1 };
        await silo.Client.GetGrain<IJobGrain>(id).SubmitAsync(spec);
        var grant = Assert.Single((await silo.Client.GetGrain<IJobGrain>(id).LeaseAsync(new WorkerRef("live", "1"), 1)).Grants);
        var segment = JobKeys.Segment(id, 0);

        silo.Clock.Advance(spec.LeaseDuration * 0.9);
        await silo.RestartAsync();
        silo.Clock.Advance(spec.LeaseDuration * 0.3);
        Assert.Equal(RenewOutcome.Renewed, await silo.Client.GetGrain<IJobSegmentGrain>(segment).RenewAsync(grant.Item, grant.Token));
        silo.Clock.Advance(spec.LeaseDuration * 0.3);
        await silo.CrashAsync();
        silo.Clock.Advance(spec.LeaseDuration * 0.3);
        // Renewed 0.6 leases ago: 0.4 of the lease is left (the grace written at the first restart ran out 0.1 ago).
        Assert.Empty((await silo.Client.GetGrain<IJobGrain>(id).LeaseAsync(new WorkerRef("other", "2"), 1)).Grants);
        Assert.Equal(RenewOutcome.Renewed, await silo.Client.GetGrain<IJobSegmentGrain>(segment).RenewAsync(grant.Item, grant.Token));
    }

    [Fact(Timeout = 120_000)]
    public async Task SegmentActivatedLongAfterALeaseExpired_GraceBoundedByTheDeadline_LeaseTakenAtOnce()
    {
        // Found by the chaos run: a dead worker's lease, expired but not yet taken back when its segment's silo died, got
        // half a lease from the segment's late reactivation (taken back 70 s after the kill, lease 30 s).
        await using var silo = await KernelSilo.StartAsync(Path.Combine(_root.Path, "state"));
        var id = "grace-bounded";
        var spec = new ProbeJobSpec { JobId = id, Items = 1, ItemsPerSegment = 1 };
        await silo.Client.GetGrain<IJobGrain>(id).SubmitAsync(spec);
        Assert.Single((await silo.Client.GetGrain<IJobGrain>(id).LeaseAsync(new WorkerRef("dead", "1"), 1)).Grants);

        silo.Clock.Advance(spec.LeaseDuration * 1.8);
        await silo.CrashAsync();

        // The grace would end at 1.5 leases, already past: the lease is free at once.
        var grant = Assert.Single((await silo.Client.GetGrain<IJobGrain>(id).LeaseAsync(new WorkerRef("other", "2"), 1)).Grants);
        Assert.Equal(2, grant.Attempt);
    }

    [Fact(Timeout = 120_000)]
    public async Task SiloRestarted_AfterTheJobCompleted_HistoryStillListsTheExpiredLeases()
    {
        // Found by the chaos run: a sealed segment is not read at activation, and the job forgot that it had a history.
        await using var silo = await KernelSilo.StartAsync(Path.Combine(_root.Path, "state"));
        var id = "history-sealed";
        var spec = new ProbeJobSpec { JobId = id, Items = 4, ItemsPerSegment = 2 };
        var job = silo.Client.GetGrain<IJobGrain>(id);
        await job.SubmitAsync(spec);
        Assert.Single((await job.LeaseAsync(new WorkerRef("dead", "1"), 1)).Grants);
        silo.Clock.Advance(spec.LeaseDuration * 1.1);
        var grants = new List<LeaseGrant>();
        while (grants.Count < 4)
        {
            grants.AddRange((await job.LeaseAsync(new WorkerRef("alive", "2"), 4)).Grants);
        }
        await Task.WhenAll(grants.Select(g => silo.Client.GetGrain<IJobSegmentGrain>(JobKeys.Segment(id, g.Item / 2))
            .CommitAsync(new ProbeCommit { Item = g.Item, OperationId = $"op{g.Item}", Attempt = g.Attempt, Token = g.Token, Rows = 1 })));
        Assert.Equal(JobStatus.Completed, (await job.WaitForEndAsync(TimeSpan.FromSeconds(30))).Status);
        var before = await job.GetHistoryAsync(10);
        Assert.Contains(before, h => h.Contains("attempt 1 by dead#1: lease expired", StringComparison.Ordinal));

        await silo.RestartAsync();

        Assert.Equal(before, await silo.Client.GetGrain<IJobGrain>(id).GetHistoryAsync(10));
    }

    [Fact(Timeout = 120_000)]
    public async Task SiloRestarted_SegmentsFullyCommittedOrNeverCreated_JobActivatesWithoutReadingThem_CountsAsBefore()
    {
        await using var silo = await KernelSilo.StartAsync(Path.Combine(_root.Path, "state"));
        var id = "sealed-job";
        var spec = new ProbeJobSpec { JobId = id, Items = 500, ItemsPerSegment = 100 };
        var job = silo.Client.GetGrain<IJobGrain>(id);
        await job.SubmitAsync(spec);
        var worker = new WorkerRef("w", "1");
        // Segments 0 and 1 all committed, segment 2 half leased, segments 3 and 4 never created.
        var grants = (await job.LeaseAsync(worker, 250)).Grants;
        Assert.Equal(250, grants.Length);
        await Task.WhenAll(grants.Where(g => g.Item < 200).Select(g => CommitAsync(silo, id, g, 100)));
        var before = await job.GetProgressAsync();
        for (var wait = 0; before.ItemsCommitted < 200 && wait < 200; wait++)
        {
            // Segments report after their write, without being waited for.
            await Task.Delay(50);
            before = await job.GetProgressAsync();
        }
        Assert.Equal((200, 50), (before.ItemsCommitted, before.ItemsLeased));

        await silo.RestartAsync();
        silo.Calls.Reset();
        var after = await silo.Client.GetGrain<IJobGrain>(id).GetProgressAsync();

        Assert.Equal(1, silo.Calls.Count(nameof(IJobSegmentGrain)));
        Assert.Equal(
            (before.Items, before.ItemsCommitted, before.ItemsLeased, before.RowsCommitted, before.Retries, before.LeaseExpirations),
            (after.Items, after.ItemsCommitted, after.ItemsLeased, after.RowsCommitted, after.Retries, after.LeaseExpirations));
        var rest = (await silo.Client.GetGrain<IJobGrain>(id).LeaseAsync(worker, 500)).Grants;
        Assert.Equal(Enumerable.Range(250, 250), rest.Select(g => g.Item).Order());
        await Task.WhenAll(rest.Concat(grants.Where(g => g.Item >= 200)).Select(g => CommitAsync(silo, id, g, 100)));
        var done = await silo.Client.GetGrain<IJobGrain>(id).WaitForEndAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(JobStatus.Completed, done.Status);
        Assert.Equal(500, silo.Probes.Published[id]);
    }

    private static Task<CommitResult> CommitAsync(KernelSilo silo, string id, LeaseGrant grant, int itemsPerSegment) =>
        silo.Client.GetGrain<IJobSegmentGrain>(JobKeys.Segment(id, grant.Item / itemsPerSegment))
            .CommitAsync(new ProbeCommit { Item = grant.Item, OperationId = $"op{grant.Item}", Attempt = grant.Attempt, Token = grant.Token, Rows = 1 });

    private static async Task<ItemInfo[]> ItemsAsync(KernelSilo silo, string id) =>
        [.. (await Task.WhenAll(Enumerable.Range(0, 3).Select(s => silo.Client.GetGrain<IJobSegmentGrain>(JobKeys.Segment(id, s)).GetItemsAsync()))).SelectMany(i => i)];
}
