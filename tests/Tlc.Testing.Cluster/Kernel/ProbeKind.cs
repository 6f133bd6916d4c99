using System.Collections.Concurrent;
using Tlc.Cluster;
using Tlc.Grains.Kinds;

namespace Tlc.Testing.Cluster.Kernel;

/// <summary>
/// A job of the test kind <see cref="ProbeKind"/>: items that do nothing but be leased and committed, so the kernel —
/// leases, segments, group commits, routing, expiry, retries, publication — is exercised on its own, at any scale.
/// </summary>
[GenerateSerializer]
public sealed record ProbeJobSpec : JobSpec
{
    /// <summary>The kind's name.</summary>
    public const string KindName = "probe";

    /// <summary>True when the client sends each item's plan.</summary>
    [Id(0)] public bool Explicit { get; init; }

    /// <summary>True when writers add and own the items.</summary>
    [Id(1)] public bool Owned { get; init; }

    /// <summary>When set, publication is refused with this reason.</summary>
    [Id(2)] public string? RefusePublication { get; init; }

    /// <inheritdoc />
    public override string Kind => KindName;

    /// <inheritdoc />
    public override string ItemNoun => "probe";

    /// <inheritdoc />
    public override bool Leased => !Owned;

    /// <inheritdoc />
    public override bool ExplicitPlans => Explicit;

    /// <inheritdoc />
    public override WorkItemPlan? ImpliedPlan(int item) => Explicit ? null : new ProbePlan(item, 1);
}

/// <summary>A probe item's plan: its source bytes.</summary>
[GenerateSerializer, Immutable]
public sealed record ProbePlan(int Index, [property: Id(0)] long Bytes) : WorkItemPlan(Index)
{
    /// <inheritdoc />
    public override long SourceBytes => Bytes;
}

/// <summary>A probe item's result; <see cref="Reject"/> makes the kind refuse it.</summary>
[GenerateSerializer, Immutable]
public sealed record ProbeCommit : ItemCommit
{
    /// <summary>When set, the kind refuses the commit with this reason.</summary>
    [Id(0)] public string? Reject { get; init; }
}

/// <summary>
/// The probe kind: refuses commits that ask to be refused, and publishes by reading every item back — failing unless each
/// is committed once, by a commit naming it — then records the publication (tests read <see cref="Published"/> through
/// the silo's services).
/// </summary>
public sealed class ProbeKind : IJobKind
{
    /// <summary>Publications: job id → committed items read back.</summary>
    public ConcurrentDictionary<string, long> Published { get; } = new(StringComparer.Ordinal);

    /// <summary>Discards: job id → how many times.</summary>
    public ConcurrentDictionary<string, int> Discarded { get; } = new(StringComparer.Ordinal);

    /// <inheritdoc />
    public string Name => ProbeJobSpec.KindName;

    /// <inheritdoc />
    public string? Validate(JobSpec spec, WorkItemPlan? plan, ItemCommit commit) => commit switch
    {
        ProbeCommit { Reject: { } reason } => reason,
        ProbeCommit => plan is null || plan.Index == commit.Item || !spec.Leased ? null : $"the plan is of item {plan.Index}",
        _ => $"not a {nameof(ProbeCommit)}",
    };

    /// <inheritdoc />
    public async Task<JobResult> PublishAsync(JobContext job, CancellationToken cancellationToken)
    {
        var spec = (ProbeJobSpec)job.Spec;
        if (spec.RefusePublication is { } reason)
        {
            throw new JobRefusedException([reason]);
        }
        long count = 0;
        var expected = 0;
        await foreach (var item in job.ItemsAsync(cancellationToken))
        {
            // In item order; every item, but for a job of writers the items of replaced attempts, which are left out.
            if ((spec.Writers == 0 ? item.Index != expected : item.Index < expected) || item.Lease.Status != WorkStatus.Committed || item.Commit?.Item != item.Index)
            {
                throw new JobRefusedException([$"probe {item.Index} (expected {expected}) is {item.Lease.Status} with commit of {item.Commit?.Item}"]);
            }
            expected = item.Index + 1;
            count++;
        }
        Published[spec.JobId] = count;
        return new JobResult($"probe://{spec.JobId}/{count}");
    }

    /// <inheritdoc />
    public Task DiscardAsync(JobContext job, CancellationToken cancellationToken)
    {
        Discarded.AddOrUpdate(job.Spec.JobId, 1, (_, n) => n + 1);
        return Task.CompletedTask;
    }
}
