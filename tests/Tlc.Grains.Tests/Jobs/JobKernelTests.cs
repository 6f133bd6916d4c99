using Tlc.Cluster;
using Tlc.Testing.Cluster.Kernel;

namespace Tlc.Grains.Tests.Jobs;

/// <summary>The job kernel's grains on a real silo, driven item by item with the probe kind, in virtual time.</summary>
public sealed class JobKernelTests(KernelSiloFixture fixture) : IClassFixture<KernelSiloFixture>
{
    private static readonly WorkerRef Worker = new("w", "1");

    private KernelSilo Silo => fixture.Silo;

    private IJobGrain Job(string id) => Silo.Client.GetGrain<IJobGrain>(id);

    private IJobSegmentGrain Segment(string id, int segment) => Silo.Client.GetGrain<IJobSegmentGrain>(JobKeys.Segment(id, segment));

    private static string NewId() => Guid.NewGuid().ToString("N")[..12];

    private static ProbeCommit Commit(LeaseGrant grant, string? op = null) => new()
    {
        Item = grant.Item, OperationId = op ?? $"op-{grant.Item}-{grant.Attempt}", Attempt = grant.Attempt, Token = grant.Token, Rows = 1,
    };

    private async Task<JobProgress> CommitAllAsync(string id, ProbeJobSpec spec, int batch = 100)
    {
        while (true)
        {
            var grants = (await Job(id).LeaseAsync(Worker, batch)).Grants;
            if (grants.Length == 0)
            {
                break;
            }
            var results = await Task.WhenAll(grants.Select(g => Segment(id, JobKeys.SegmentOf(g.Item, spec.ItemsPerSegment)).CommitAsync(Commit(g))));
            Assert.All(results, r => Assert.Equal(CommitOutcome.Accepted, r.Outcome));
        }
        return await Job(id).WaitForEndAsync(TimeSpan.FromSeconds(30));
    }

    [Fact(Timeout = 60_000)]
    public async Task ExplicitPlans_ThreeSegments_PlanningUntilEverySegmentArrives_LeasesCarryPlans_PublishedOnce()
    {
        var id = NewId();
        var spec = new ProbeJobSpec { JobId = id, Items = 2500, ItemsPerSegment = 1000, Explicit = true, Bytes = 2500 * 7 };
        Assert.Equal(JobStatus.Planning, (await Job(id).SubmitAsync(spec)).Status);
        Assert.Empty((await Job(id).LeaseAsync(Worker, 10)).Grants);
        var plans = Enumerable.Range(0, 2500).Select(i => (WorkItemPlan)new ProbePlan(i, 7)).ToArray();
        await Job(id).AddPlansAsync(plans[..1000]);
        await Job(id).AddPlansAsync(plans[..1000]); // idempotent
        await Job(id).AddPlansAsync(plans[1000..2000]);
        await Assert.ThrowsAsync<ArgumentException>(() => Job(id).AddPlansAsync(plans[2000..2400]));
        Assert.Equal(JobStatus.Pending, (await Job(id).AddPlansAsync(plans[2000..])).Status);

        var grants = (await Job(id).LeaseAsync(Worker, 1500)).Grants;
        Assert.Equal(1500, grants.Length);
        Assert.All(grants, g => Assert.Equal(new ProbePlan(g.Item, 7), g.Plan));
        Assert.Equal(1500, grants.Select(g => g.Item).Distinct().Count());
        await Task.WhenAll(grants.Select(g => Segment(id, g.Item / 1000).CommitAsync(Commit(g))));
        var done = await CommitAllAsync(id, spec);

        Assert.Equal(JobStatus.Completed, done.Status);
        Assert.Equal($"probe://{id}/2500", done.ResultUrl);
        Assert.Equal(2500, Silo.Probes.Published[id]);
        Assert.Equal(2500 * 7, done.BytesCommitted);
        Assert.Equal(2500, done.RowsCommitted);
        Assert.DoesNotContain(id, (await Silo.Client.GetGrain<IJobQueueGrain>(JobKeys.Queue).GetActiveAsync()).Select(j => j.Id));
    }

    [Fact(Timeout = 60_000)]
    public async Task Lease_RunsOutInVirtualTime_ReclaimedForAnotherWorker_FirstValidCommitWins()
    {
        var id = NewId();
        var spec = new ProbeJobSpec { JobId = id, Items = 3, LeaseDuration = TimeSpan.FromSeconds(30) };
        await Job(id).SubmitAsync(spec);
        var first = (await Job(id).LeaseAsync(new WorkerRef("dead", "1"), 3)).Grants;
        Assert.Equal(3, first.Length);
        Assert.Empty((await Job(id).LeaseAsync(Worker, 3)).Grants);
        Silo.Clock.Advance(TimeSpan.FromSeconds(20));
        Assert.Equal(RenewOutcome.Renewed, await Segment(id, 0).RenewAsync(0, first[0].Token)); // only item 0 is renewed

        Silo.Clock.Advance(TimeSpan.FromSeconds(11));
        var second = (await Job(id).LeaseAsync(Worker, 3)).Grants;

        Assert.Equal([1, 2], second.Select(g => g.Item).Order());
        Assert.All(second, g => Assert.Equal(2, g.Attempt));
        Assert.Equal(RenewOutcome.Lost, await Segment(id, 0).RenewAsync(1, first[1].Token));
        // The presumed-dead worker's late commit comes first and wins; the second attempt's is superseded.
        Assert.Equal(CommitOutcome.Accepted, (await Segment(id, 0).CommitAsync(Commit(first[1]))).Outcome);
        Assert.Equal(CommitOutcome.Superseded, (await Segment(id, 0).CommitAsync(Commit(second.Single(g => g.Item == 1)))).Outcome);
        var progress = await Job(id).GetProgressAsync();
        Assert.Equal(2, progress.LeaseExpirations);
        Assert.Equal(2, progress.Retries);
    }

    [Fact(Timeout = 60_000)]
    public async Task Failure_RetriedUntilAttemptsRunOut_PermanentOneFailsAtOnce_RetryResetsOnlyFailed()
    {
        var id = NewId();
        var spec = new ProbeJobSpec { JobId = id, Items = 4, MaxAttempts = 3 };
        await Job(id).SubmitAsync(spec);
        var grants = (await Job(id).LeaseAsync(Worker, 4)).Grants;
        await Segment(id, 0).CommitAsync(Commit(grants[0]));
        await Segment(id, 0).ReportFailureAsync(1, grants[1].Token, "disk full", permanent: false);
        var again = Assert.Single((await Job(id).LeaseAsync(Worker, 1)).Grants);
        Assert.Equal((1, 2), (again.Item, again.Attempt));

        await Segment(id, 0).ReportFailureAsync(2, grants[2].Token, "MetricsSpecException: the file /m.onnx does not exist", permanent: true);
        var failed = await Job(id).WaitForEndAsync(TimeSpan.FromSeconds(10));

        Assert.Equal(JobStatus.Failed, failed.Status);
        Assert.Equal(1, failed.ItemsFailed);
        Assert.Contains(failed.Errors, e => e.StartsWith("probe 2: attempt 1 by w#1: MetricsSpecException", StringComparison.Ordinal));
        Assert.Empty((await Job(id).LeaseAsync(Worker, 4)).Grants);

        var retried = await Job(id).RetryAsync();
        Assert.Equal(JobStatus.Running, retried.Status);
        var grantsAfter = (await Job(id).LeaseAsync(Worker, 4)).Grants;
        Assert.Equal([2], grantsAfter.Select(g => g.Item)); // 3 is still leased: its lease runs on
        Assert.Equal(1, grantsAfter[0].Attempt);
        await Task.WhenAll(grantsAfter.Append(again).Append(grants[3]).Select(g => Segment(id, 0).CommitAsync(Commit(g))));
        Assert.Equal(JobStatus.Completed, (await Job(id).WaitForEndAsync(TimeSpan.FromSeconds(10))).Status);
    }

    [Fact(Timeout = 60_000)]
    public async Task Commit_RejectedByTheKind_NotCounted_RepeatedOperationIsOneEffect()
    {
        var id = NewId();
        await Job(id).SubmitAsync(new ProbeJobSpec { JobId = id, Items = 1 });
        var grant = Assert.Single((await Job(id).LeaseAsync(Worker, 1)).Grants);

        var refused = await Segment(id, 0).CommitAsync(Commit(grant) with { Reject = "the ids differ" });
        Assert.Equal((CommitOutcome.Rejected, "probe 0: the ids differ"), (refused.Outcome, refused.Reason));
        var neverGranted = await Segment(id, 0).CommitAsync(Commit(grant) with { Attempt = 2 });
        Assert.Equal(CommitOutcome.Rejected, neverGranted.Outcome);
        var results = await Task.WhenAll(Enumerable.Range(0, 5).Select(_ => Segment(id, 0).CommitAsync(Commit(grant, "same"))));

        Assert.Equal(1, results.Count(r => r.Outcome == CommitOutcome.Accepted));
        Assert.Equal(4, results.Count(r => r.Outcome == CommitOutcome.Duplicate));
        Assert.Equal(CommitOutcome.Superseded, (await Segment(id, 0).CommitAsync(Commit(grant, "other"))).Outcome);
        Assert.Equal(1, (await Job(id).WaitForEndAsync(TimeSpan.FromSeconds(10))).ItemsCommitted);
    }

    [Fact(Timeout = 60_000)]
    public async Task Release_GivesALeaseBack_AttemptNotCounted()
    {
        var id = NewId();
        await Job(id).SubmitAsync(new ProbeJobSpec { JobId = id, Items = 2 });
        var grants = (await Job(id).LeaseAsync(new WorkerRef("draining", "1"), 2)).Grants;
        await Segment(id, 0).ReleaseAsync(grants[1].Item, grants[1].Token);
        await Segment(id, 0).ReleaseAsync(grants[0].Item, "not-the-token");

        var again = Assert.Single((await Job(id).LeaseAsync(Worker, 2)).Grants);
        Assert.Equal((grants[1].Item, 1), (again.Item, again.Attempt));
        Assert.Equal(0, (await Job(id).GetProgressAsync()).Retries);
    }

    [Fact(Timeout = 60_000)]
    public async Task Cancel_NoMoreLeases_CommitsRejected_KindDiscardsWhatWasStaged()
    {
        var id = NewId();
        var spec = new ProbeJobSpec { JobId = id, Items = 2100, ItemsPerSegment = 1000 };
        await Job(id).SubmitAsync(spec);
        var grants = (await Job(id).LeaseAsync(Worker, 5)).Grants;
        await Segment(id, 0).CommitAsync(Commit(grants[0]));

        var cancelled = await Job(id).CancelAsync();

        Assert.Equal(JobStatus.Cancelled, cancelled.Status);
        Assert.Empty((await Job(id).LeaseAsync(Worker, 5)).Grants);
        Assert.Equal(CommitOutcome.Rejected, (await Segment(id, 0).CommitAsync(Commit(grants[1]))).Outcome);
        Assert.Equal(RenewOutcome.Lost, await Segment(id, 0).RenewAsync(grants[2].Item, grants[2].Token));
        Assert.Equal(1, Silo.Probes.Discarded[id]);
        Assert.Equal(JobStatus.Cancelled, (await Job(id).RetryAsync()).Status);
    }

    [Fact(Timeout = 60_000)]
    public async Task OwnedItems_WritersAddParts_PublishNamesUncommitted_ThenPublishesOnce()
    {
        var id = NewId();
        var spec = new ProbeJobSpec { JobId = id, Owned = true, ItemsPerSegment = 2 };
        await Job(id).SubmitAsync(spec);
        var writers = new[] { new WorkerRef("rank0", "a"), new WorkerRef("rank1", "b") };
        var items = new List<(int Item, WorkerRef Writer)>();
        for (var i = 0; i < 5; i++)
        {
            var writer = writers[i % 2];
            items.Add((await Job(id).AddOwnedItemAsync(writer, i / 2), writer));
        }
        Assert.Equal([0, 1, 2, 3, 4], items.Select(i => i.Item));
        Assert.Empty((await Job(id).LeaseAsync(Worker, 5)).Grants);
        foreach (var (item, _) in items.Take(4))
        {
            Assert.Equal(CommitOutcome.Accepted, (await Segment(id, item / 2).CommitAsync(new ProbeCommit { Item = item, OperationId = $"p{item}", Attempt = 1, Rows = 10 })).Outcome);
        }

        var early = await Assert.ThrowsAsync<InvalidOperationException>(() => Job(id).PublishAsync());
        Assert.Contains("probes 4 have no commit yet", early.Message, StringComparison.Ordinal);
        await Segment(id, 2).CommitAsync(new ProbeCommit { Item = 4, OperationId = "p4", Attempt = 1, Rows = 10 });
        var published = await Job(id).PublishAsync();

        Assert.Equal(JobStatus.Completed, published.Status);
        Assert.Equal((5, 50L), (published.ItemsCommitted, published.RowsCommitted));
        Assert.Equal(published.ResultUrl, (await Job(id).PublishAsync()).ResultUrl);
        await Assert.ThrowsAsync<InvalidOperationException>(() => Job(id).AddOwnedItemAsync(writers[0], 3));
    }

    [Fact(Timeout = 60_000)]
    public async Task OwnedItems_AddRepeatedAfterALostAnswer_SameItem_NoneLeftUncommitted()
    {
        var id = NewId();
        await Job(id).SubmitAsync(new ProbeJobSpec { JobId = id, Owned = true, ItemsPerSegment = 2 });
        var writer = new WorkerRef("rank0", "a");
        var first = await Job(id).AddOwnedItemAsync(writer, 0);
        // The answer was lost (a silo died): the writer asks again for the same part.
        Assert.Equal(first, await Job(id).AddOwnedItemAsync(writer, 0));
        var second = await Job(id).AddOwnedItemAsync(writer, 1);
        Assert.Equal(second, await Job(id).AddOwnedItemAsync(writer, 1));
        Assert.Equal([0, 1], new[] { first, second });
        foreach (var item in new[] { first, second })
        {
            Assert.Equal(CommitOutcome.Accepted, (await Segment(id, item / 2).CommitAsync(new ProbeCommit { Item = item, OperationId = $"p{item}", Attempt = 1, Rows = 10 })).Outcome);
        }

        var published = await Job(id).PublishAsync();

        Assert.Equal((JobStatus.Completed, 2, 2), (published.Status, published.Items, published.ItemsCommitted));
    }

    [Fact(Timeout = 60_000)]
    public async Task Writers_ReplacedAttemptLeftOut_StaleAttemptRefused_PublishedOnceEveryWriterClosed()
    {
        var id = NewId();
        await Job(id).SubmitAsync(new ProbeJobSpec { JobId = id, Owned = true, Writers = 2, ItemsPerSegment = 2 });
        async Task AddAndCommitAsync(WorkerRef owner, int count)
        {
            for (var i = 0; i < count; i++)
            {
                var item = await Job(id).AddOwnedItemAsync(owner, i);
                Assert.Equal(CommitOutcome.Accepted, (await Segment(id, item / 2).CommitAsync(new ProbeCommit { Item = item, OperationId = $"p{item}", Attempt = 1, Rows = 10 })).Outcome);
            }
        }
        var unopened = await Assert.ThrowsAsync<InvalidOperationException>(() => Job(id).AddOwnedItemAsync(JobKeys.WriterOwner(0, "a"), 0));
        Assert.Contains("writer 0 must open its share", unopened.Message, StringComparison.Ordinal);

        var first = await Job(id).OpenWriterAsync(0, "a");
        await AddAndCommitAsync(first.Owner, 2);
        var closed = await Job(id).CloseWriterAsync(0, "a");
        Assert.Equal((2, 1, JobStatus.Running), (closed.Writers, closed.WritersClosed, closed.Status));
        Assert.Equal([1], closed.WritersWaiting);
        var dead = await Job(id).OpenWriterAsync(1, "x");
        await AddAndCommitAsync(dead.Owner, 1);
        var again = await Job(id).OpenWriterAsync(1, "y");
        Assert.Equal(("x", false), (again.Replaced, again.Closed));
        var stale = await Assert.ThrowsAsync<InvalidOperationException>(() => Job(id).AddOwnedItemAsync(dead.Owner, 1));
        Assert.Contains("attempt x is stale (replaced by attempt y)", stale.Message, StringComparison.Ordinal);
        await AddAndCommitAsync(again.Owner, 2);
        var early = await Assert.ThrowsAsync<InvalidOperationException>(() => Job(id).PublishAsync());
        Assert.Contains("publishes by itself", early.Message, StringComparison.Ordinal);
        await Assert.ThrowsAsync<InvalidOperationException>(() => Job(id).CloseWriterAsync(1, "x"));
        await Job(id).CloseWriterAsync(1, "y");
        var done = await Job(id).WaitForEndAsync(TimeSpan.FromSeconds(30));

        Assert.Equal(JobStatus.Completed, done.Status);
        Assert.Equal(4, Silo.Probes.Published[id]);
        Assert.True((await Job(id).OpenWriterAsync(0, "b")).Closed);
    }

    [Fact(Timeout = 60_000)]
    public async Task PublicationRefused_JobFailsForGood_NothingToRetry()
    {
        var id = NewId();
        var spec = new ProbeJobSpec { JobId = id, Items = 2, RefusePublication = "example_id 7 appears in part 0 and part 1" };
        await Job(id).SubmitAsync(spec);
        var done = await CommitAllAsync(id, spec);

        Assert.Equal(JobStatus.Failed, done.Status);
        Assert.Equal(["example_id 7 appears in part 0 and part 1"], done.Errors);
        Assert.Equal(1, Silo.Probes.Discarded[id]);
        Assert.Equal(JobStatus.Failed, (await Job(id).RetryAsync()).Status);
    }

    [Fact(Timeout = 60_000)]
    public async Task Submit_SameIdAgain_SameJob_AnotherSpecRefused()
    {
        var id = NewId();
        var spec = new ProbeJobSpec { JobId = id, Items = 5 };
        await Job(id).SubmitAsync(spec);
        await Job(id).SubmitAsync(spec);
        await Assert.ThrowsAsync<InvalidOperationException>(() => Job(id).SubmitAsync(spec with { Items = 6 }));
        await Assert.ThrowsAsync<ArgumentException>(() => Job("bad/id").SubmitAsync(spec with { JobId = "bad/id" }));
        Assert.Single(await Silo.Client.GetGrain<IJobQueueGrain>(JobKeys.Queue).GetAllAsync(), j => j.Id == id);
    }

    [Fact(Timeout = 120_000)]
    public async Task StateWrites_DeltasOfAFewItems_NeverTheWholeJob_SegmentsBounded()
    {
        var id = NewId();
        var spec = new ProbeJobSpec { JobId = id, Items = 20_000 };
        var before = Silo.Storage.Statistics;
        await Job(id).SubmitAsync(spec);
        var done = await CommitAllAsync(id, spec, batch: 500);
        var after = Silo.Storage.Statistics;

        Assert.Equal(JobStatus.Completed, done.Status);
        Assert.InRange(after.LargestByState["job"], 1, 4096);
        Assert.InRange(after.LargestByState["segment"], 1, 1 << 20);
        var written = after.BytesWritten - before.BytesWritten;
        // Every item is written a few times (a lease, a commit, snapshots): bytes per item stay small whatever the job's size.
        Assert.InRange(written / 20_000.0, 50, 2000);
    }
}
