using Microsoft.Extensions.Logging;
using Tlc.Cluster;
using Tlc.Diagnostics;

namespace Tlc.Grains;

/// <summary>
/// One part (shard) of a metrics table: hosts the lease/commit protocol (<see cref="LeaseProtocol"/>) for it and validates
/// commits against its plan — the ids a commit covers must be exactly the planned ones (by count and digest, and for
/// contiguous plans by range, naming the first wrong id). Each part's state is its own, so commits never contend.
/// </summary>
internal sealed class PartGrain(
    [PersistentState("part", TlcGrainNames.Storage)] IPersistentState<PartState> state,
    TimeProvider time,
    ILogger<PartGrain> logger) : LeasedItemGrain<PartState>(state, time, logger), IPartGrain
{
    private PartState Part => Item;

    protected override string Kind => "Part";

    private bool HasJob => Part.Plan is not null;

    public async Task InitAsync(string sinkId, PartPlan? plan, int maxAttempts, TimeSpan leaseDuration)
    {
        ArgumentException.ThrowIfNullOrEmpty(sinkId);
        if (Part.SinkId is not null)
        {
            if (Part.SinkId != sinkId || Part.Plan != plan)
            {
                throw new InvalidOperationException($"Part {this.GetPrimaryKeyString()} was started with another plan.");
            }
            return;
        }
        var key = this.GetPrimaryKeyString();
        Part.SinkId = sinkId;
        Part.Index = int.Parse(key[(key.LastIndexOf('/') + 1)..], System.Globalization.CultureInfo.InvariantCulture);
        Part.Plan = plan;
        Part.MaxAttempts = Math.Max(1, maxAttempts);
        Part.LeaseDuration = leaseDuration;
        await State.WriteStateAsync();
    }



    public async Task<CommitResult> CommitAsync(PartCommit commit)
    {
        ArgumentNullException.ThrowIfNull(commit);
        if (Part.SinkId is null)
        {
            return new CommitResult(CommitOutcome.Rejected, $"Part {this.GetPrimaryKeyString()} is unknown.");
        }
        if (Part.Lease.Status == WorkStatus.Committed)
        {
            var repeat = LeaseProtocol.Commit(Part.Lease, commit.OperationId, commit.Attempt);
            if (repeat == CommitOutcome.Duplicate)
            {
                // A retry after a timeout: make sure the sink and the job heard of it.
                await Task.WhenAll(NotifySinkAsync(), NotifyJobAsync());
            }
            return new CommitResult(repeat);
        }
        if (Part.Cancelled)
        {
            return new CommitResult(CommitOutcome.Rejected, "the job was cancelled");
        }
        if (Validate(commit) is { } problem)
        {
            CommitRejected(problem);
            return new CommitResult(CommitOutcome.Rejected, $"shard {Part.Index}: {problem}");
        }
        if (!HasJob)
        {
            // Writer parts are not leased: the writer holds the part from its creation.
            Part.Lease.Attempt = Math.Max(Part.Lease.Attempt, 1);
            Part.Lease.Status = WorkStatus.Leased;
        }
        var outcome = LeaseProtocol.Commit(Part.Lease, commit.OperationId, Math.Max(commit.Attempt, HasJob ? commit.Attempt : 1));
        if (outcome != CommitOutcome.Accepted)
        {
            return new CommitResult(outcome, outcome == CommitOutcome.Rejected ? $"shard {Part.Index}: attempt {commit.Attempt} was never granted" : null);
        }
        Part.Commit = commit;
        await State.WriteStateAsync();
        if (HasJob)
        {
            TlcMetrics.ItemCommitted(TlcMetrics.Metrics);
        }
        await Task.WhenAll(NotifySinkAsync(), NotifyJobAsync());
        return new CommitResult(CommitOutcome.Accepted);
    }




    public Task<PartInfo> GetAsync() => Task.FromResult(new PartInfo(Part.Index, LeaseStates.Copy(Part.Lease), Part.Commit));

    /// <summary>Why <paramref name="commit"/> is not a valid result for this part, or null.</summary>
    private string? Validate(PartCommit commit)
    {
        if (string.IsNullOrEmpty(commit.ChunkUrl) || Url.IsAbsolute(commit.ChunkUrl) || commit.ChunkUrl.Contains("..", StringComparison.Ordinal))
        {
            return $"the chunk url '{commit.ChunkUrl}' must be relative to the metrics table folder";
        }
        long covered = 0;
        long previousEnd = long.MinValue;
        foreach (var run in commit.IdRuns)
        {
            if (run.Count <= 0 || run.Start < 0)
            {
                return $"invalid id run {run.Start}+{run.Count}";
            }
            if (run.Start < previousEnd)
            {
                return $"example_id {run.Start} appears twice (runs overlap or go back)";
            }
            previousEnd = run.Start + run.Count;
            covered += run.Count;
        }
        if (covered != commit.Rows || commit.Batches.Sum(b => (long)b) != commit.Rows)
        {
            return $"the chunk has {commit.Rows} rows but its ids cover {covered} and its batches {commit.Batches.Sum(b => (long)b)}";
        }
        if (Part.Plan is not { } plan)
        {
            return null;
        }
        foreach (var run in commit.IdRuns)
        {
            if (run.Start < plan.Start || run.Start + run.Count > plan.End)
            {
                var id = run.Start < plan.Start ? run.Start : plan.End;
                return $"example_id {id} is outside the shard's rows {plan.Start}..{plan.End - 1}";
            }
        }
        if (plan.ExpectedRows == plan.End - plan.Start)
        {
            // Contiguous plan: name the first missing id.
            var expected = plan.Start;
            foreach (var run in commit.IdRuns)
            {
                if (run.Start != expected)
                {
                    return $"example_id {expected} is missing";
                }
                expected = run.Start + run.Count;
            }
            if (expected != plan.End)
            {
                return $"example_id {expected} is missing";
            }
        }
        if (covered != plan.ExpectedRows)
        {
            return $"{covered} example ids, but the shard must cover {plan.ExpectedRows}";
        }
        if (ExampleIds.Digest(commit.IdRuns) != plan.IdDigest)
        {
            return "the example ids differ from the shard's planned ids";
        }
        return null;
    }

    private async Task NotifySinkAsync()
    {
        await GrainFactory.GetGrain<ISinkGrain>(Part.SinkId!).PartCommittedAsync(Part.Index);
    }

    protected override async Task NotifyJobAsync()
    {
        if (HasJob)
        {
            await GrainFactory.GetGrain<IMetricsJobGrain>(Part.SinkId!).PartChangedAsync(Part.Index, Part.Lease.Status, Part.Commit?.Rows ?? 0);
        }
    }
}
