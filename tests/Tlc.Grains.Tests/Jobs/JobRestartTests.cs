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

    private static async Task<ItemInfo[]> ItemsAsync(KernelSilo silo, string id) =>
        [.. (await Task.WhenAll(Enumerable.Range(0, 3).Select(s => silo.Client.GetGrain<IJobSegmentGrain>(JobKeys.Segment(id, s)).GetItemsAsync()))).SelectMany(i => i)];
}
