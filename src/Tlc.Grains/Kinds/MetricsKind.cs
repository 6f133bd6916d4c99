using Tlc.Cluster;

namespace Tlc.Grains.Kinds;

/// <summary>
/// collect_metrics (<see cref="JobKinds.Metrics"/>): a shard's commit must cover exactly its planned example ids (by range,
/// naming the first wrong id, and by count and digest when zero weights are excluded); the metrics table is published
/// from the shards' chunks in shard order. Shards are disjoint by their plans, so publication needs no overlap check.
/// </summary>
internal sealed class MetricsKind : IJobKind
{
    public string Name => JobKinds.Metrics;

    public string? Validate(JobSpec spec, WorkItemPlan? plan, ItemCommit commit)
    {
        var metrics = (MetricsJobSpec)spec;
        if (commit is not PartCommit part)
        {
            return $"a {metrics.ItemNoun} commits a {nameof(PartCommit)}, not a {commit.GetType().Name}";
        }
        if (MetricsTablePublisher.ValidatePart(metrics, part) is { } problem)
        {
            return problem;
        }
        if (plan is not PartPlan shard)
        {
            return $"{metrics.ItemNoun} {commit.Item} has no plan";
        }
        foreach (var run in part.Ids.ToRuns())
        {
            if (run.Start < shard.Start || run.Start + run.Count > shard.End)
            {
                var id = run.Start < shard.Start ? run.Start : shard.End;
                return $"example_id {id} is outside the {metrics.ItemNoun}'s rows {shard.Start}..{shard.End - 1}";
            }
        }
        if (shard.ExpectedRows == shard.End - shard.Start)
        {
            // Every row of the range: name the first missing id.
            var expected = shard.Start;
            foreach (var run in part.Ids.ToRuns())
            {
                if (run.Start != expected)
                {
                    return $"example_id {expected} is missing";
                }
                expected = run.Start + run.Count;
            }
            return expected != shard.End ? $"example_id {expected} is missing" : null;
        }
        if (part.Ids.Count != shard.ExpectedRows)
        {
            return $"{part.Ids.Count} example ids, but the {metrics.ItemNoun} must cover {shard.ExpectedRows}";
        }
        return part.Ids.Digest() != shard.IdDigest ? $"the example ids differ from the {metrics.ItemNoun}'s planned ids" : null;
    }

    public Task<JobResult> PublishAsync(JobContext job, CancellationToken cancellationToken) =>
        MetricsTablePublisher.PublishAsync(job, checkOverlaps: false, cancellationToken);

    public Task DiscardAsync(JobContext job, CancellationToken cancellationToken) => MetricsTablePublisher.DiscardAsync(job, cancellationToken);
}
