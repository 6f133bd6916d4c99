using Tlc.Cluster;
using Tlc.Tables.Urls;
using Tlc.Testing;
using Tlc.Testing.Cluster.Kernel;

namespace Tlc.Sdk.Tests;

/// <summary>One in-process silo for the job handle's tests.</summary>
public sealed class HandleSiloFixture : IAsyncLifetime
{
    private KernelSilo? _silo;

    public TempRoot Root { get; } = new("handle");

    public KernelSilo Silo => _silo ?? throw new InvalidOperationException("Not started.");

    public ClusterContext Context => new(Silo.Client, new UrlAdapterRegistry(), Root.Url, new WorkerRef("client", "1"), TimeProvider.System);

    public async ValueTask InitializeAsync() => _silo = await KernelSilo.StartAsync(Path.Combine(Root.Path, "state"));

    public async ValueTask DisposeAsync()
    {
        if (_silo is not null)
        {
            await _silo.DisposeAsync();
        }
        Root.Dispose();
    }
}

/// <summary>The one client job handle, for any kind: submit (plans a segment at a time), find, list, wait, cancel, retry.</summary>
public sealed class JobHandleTests(HandleSiloFixture fixture) : IClassFixture<HandleSiloFixture>
{
    private static readonly WorkerRef Worker = new("w", "1");

    private async Task CommitAllAsync(string id, int itemsPerSegment)
    {
        var job = fixture.Silo.Client.GetGrain<IJobGrain>(id);
        while (((await job.LeaseAsync(Worker, 500)).Grants) is { Length: > 0 } grants)
        {
            await Task.WhenAll(grants.Select(g => fixture.Silo.Client.GetGrain<IJobSegmentGrain>(JobKeys.Segment(id, g.Item / itemsPerSegment))
                .CommitAsync(new ProbeCommit { Item = g.Item, OperationId = $"op{g.Item}", Attempt = g.Attempt, Token = g.Token, Rows = 2 })));
        }
    }

    [Fact(Timeout = 60_000)]
    public async Task SubmitAsync_ExplicitPlansOfManySegments_SentASegmentAtATime_JobRunsToItsResult()
    {
        var spec = new ProbeJobSpec { JobId = "plans-" + Guid.NewGuid().ToString("N")[..8], Items = 2300, ItemsPerSegment = 500, Explicit = true };
        var plans = Enumerable.Range(0, 2300).Select(i => (WorkItemPlan)new ProbePlan(i, 3)).ToList();

        var handle = await JobHandle.SubmitAsync(fixture.Context, spec, plans, TestContext.Current.CancellationToken);
        Assert.Equal(JobStatus.Pending, (await handle.GetProgressAsync(TestContext.Current.CancellationToken)).Status);
        Assert.Equal(spec.Describe(), (await handle.GetSpecAsync(TestContext.Current.CancellationToken)).Describe());
        var again = await JobHandle.SubmitAsync(fixture.Context, spec, plans, TestContext.Current.CancellationToken); // the same job
        await CommitAllAsync(spec.JobId, 500);
        var seen = new List<JobProgress>();
        var final = await again.WaitForEndAsync(new InlineProgress(seen.Add), TimeSpan.FromMilliseconds(50), TestContext.Current.CancellationToken);

        Assert.Equal(JobStatus.Completed, final.Status);
        Assert.Equal((2300, 4600L, 6900L), (final.ItemsCommitted, final.RowsCommitted, final.BytesCommitted));
        Assert.Equal($"probe://{spec.JobId}/2300", final.ResultUrl);
        Assert.NotEmpty(seen);
        await Assert.ThrowsAsync<ArgumentException>(() => JobHandle.SubmitAsync(fixture.Context, spec with { JobId = spec.JobId + "x" }, plans.Take(10).ToList(), TestContext.Current.CancellationToken));
    }

    [Fact(Timeout = 60_000)]
    public async Task FindAsync_IdOrUniquePrefix_UnknownAndAmbiguousSaySo_KindFilters()
    {
        var prefix = "find" + Guid.NewGuid().ToString("N")[..6];
        await JobHandle.SubmitAsync(fixture.Context, new ProbeJobSpec { JobId = prefix + "-a1", Items = 1 }, cancellationToken: TestContext.Current.CancellationToken);
        await JobHandle.SubmitAsync(fixture.Context, new ProbeJobSpec { JobId = prefix + "-a2", Items = 1 }, cancellationToken: TestContext.Current.CancellationToken);
        await JobHandle.SubmitAsync(fixture.Context, new ProbeJobSpec { JobId = prefix + "-b1", Items = 1 }, cancellationToken: TestContext.Current.CancellationToken);

        Assert.Equal(prefix + "-b1", (await JobHandle.FindAsync(fixture.Context, prefix + "-b", cancellationToken: TestContext.Current.CancellationToken)).Id);
        Assert.Equal(prefix + "-a1", (await JobHandle.FindAsync(fixture.Context, prefix + "-a1", cancellationToken: TestContext.Current.CancellationToken)).Id);
        var ambiguous = await Assert.ThrowsAsync<AmbiguousJobIdException>(() => JobHandle.FindAsync(fixture.Context, prefix + "-a", cancellationToken: TestContext.Current.CancellationToken));
        Assert.Equal(2, ambiguous.Matches.Count);
        await Assert.ThrowsAsync<KeyNotFoundException>(() => JobHandle.FindAsync(fixture.Context, prefix + "-zz", cancellationToken: TestContext.Current.CancellationToken));
        await Assert.ThrowsAsync<KeyNotFoundException>(() => JobHandle.FindAsync(fixture.Context, prefix + "-b1", JobKinds.Import, TestContext.Current.CancellationToken));
        await Assert.ThrowsAsync<KeyNotFoundException>(() => JobHandle.AttachAsync(fixture.Context, prefix + "-nope", TestContext.Current.CancellationToken));

        var listed = await JobHandle.ListAsync(fixture.Context, ProbeJobSpec.KindName, TestContext.Current.CancellationToken);
        Assert.Equal([prefix + "-b1", prefix + "-a2", prefix + "-a1"], listed.Where(p => p.JobId.StartsWith(prefix, StringComparison.Ordinal)).Select(p => p.JobId));
        Assert.All(listed, p => Assert.Equal(ProbeJobSpec.KindName, p.Kind));
        Assert.Empty(await JobHandle.ListAsync(fixture.Context, JobKinds.Import, TestContext.Current.CancellationToken));
    }

    [Fact(Timeout = 60_000)]
    public async Task WaitAsync_FailedJob_ThrowsNamingTheErrors_RetryThenCancel()
    {
        var id = "fail-" + Guid.NewGuid().ToString("N")[..8];
        var handle = await JobHandle.SubmitAsync(fixture.Context, new ProbeJobSpec { JobId = id, Items = 2, MaxAttempts = 1 }, cancellationToken: TestContext.Current.CancellationToken);
        var grants = (await fixture.Silo.Client.GetGrain<IJobGrain>(id).LeaseAsync(Worker, 2)).Grants;
        await fixture.Silo.Client.GetGrain<IJobSegmentGrain>(JobKeys.Segment(id, 0)).ReportFailureAsync(grants[0].Item, grants[0].Token, "out of memory", permanent: false);

        var failed = await Assert.ThrowsAsync<JobFailedException>(() => handle.WaitAsync(cancellationToken: TestContext.Current.CancellationToken));
        Assert.StartsWith($"Probe job {id} failed: probe {grants[0].Item}: attempt 1 by w#1: out of memory", failed.Message, StringComparison.Ordinal);
        Assert.Equal(JobStatus.Running, (await handle.RetryAsync(TestContext.Current.CancellationToken)).Status);
        var cancelled = await handle.CancelAsync(TestContext.Current.CancellationToken);
        Assert.Equal(JobStatus.Cancelled, cancelled.Status);
        Assert.Equal(JobStatus.Cancelled, (await Assert.ThrowsAsync<JobFailedException>(() => handle.WaitAsync(cancellationToken: TestContext.Current.CancellationToken))).Progress.Status);
    }

    private sealed class InlineProgress(Action<JobProgress> report) : IProgress<JobProgress>
    {
        public void Report(JobProgress value) => report(value);
    }
}
