using Tlc.Cluster;

namespace Tlc.Grains.Kinds;

/// <summary>
/// A metrics table written by writers (<see cref="JobKinds.Stream"/>): a part's commit must be a chunk in the table's folder
/// whose ids are in the input table; across parts, every example id at most once (exactly once under full coverage) is
/// checked at publication, which the owning writer asks for — or, in a stream of
/// ranks, which happens once every rank closed its share, from each rank's closing attempt.
/// </summary>
internal sealed class StreamKind : IJobKind
{
    public string Name => JobKinds.Stream;

    public string? Validate(JobSpec spec, WorkItemPlan? plan, ItemCommit commit) => commit is PartCommit part
        ? MetricsTablePublisher.ValidatePart((MetricsTableSpec)spec, part)
        : $"a {spec.ItemNoun} commits a {nameof(PartCommit)}, not a {commit.GetType().Name}";

    public Task<JobResult> PublishAsync(JobContext job, CancellationToken cancellationToken) =>
        MetricsTablePublisher.PublishAsync(job, checkOverlaps: true, cancellationToken);

    public Task DiscardAsync(JobContext job, CancellationToken cancellationToken) => MetricsTablePublisher.DiscardAsync(job, cancellationToken);

    public Task EndedAsync(JobContext job, JobStatus status, CancellationToken cancellationToken) =>
        status == JobStatus.Completed ? MetricsTablePublisher.DiscardReplacedAsync(job, cancellationToken) : Task.CompletedTask;
}
