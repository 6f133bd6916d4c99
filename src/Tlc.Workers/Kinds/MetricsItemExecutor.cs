using Tlc.Cluster;
using Tlc.Metrics;
using Tlc.Tables.Urls;

namespace Tlc.Workers;

/// <summary>
/// Metrics shards (<see cref="JobKinds.Metrics"/>): computes a shard with an <see cref="IShardExecutor"/> into a chunk file
/// unique to the shard and attempt, checks that it covers exactly the shard's planned example ids (naming the first
/// wrong id) and commits it. Spec errors (an unknown model or collector, a missing weights file, bad arguments, an input
/// table overwritten since submission) are permanent.
/// </summary>
public sealed class MetricsItemExecutor(IShardExecutor shards, UrlAdapterRegistry adapters, int slots = 1) : IItemExecutor
{
    /// <inheritdoc />
    public string Kind => JobKinds.Metrics;

    /// <inheritdoc />
    public int Slots { get; } = Math.Max(1, slots);

    /// <inheritdoc />
    public int Prefetch => 1;

    /// <summary>Called after a shard is computed and before it is committed (for fault-injection tests: stall, crash).</summary>
    public Func<ShardTask, CancellationToken, Task>? BeforeCommit { get; init; }

    /// <inheritdoc />
    public async Task<ItemCommit> ExecuteAsync(ItemTask task, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(task);
        var shard = Shard(task);
        var output = await shards.ExecuteAsync(shard, cancellationToken).ConfigureAwait(false);
        var ids = CheckIds(shard, output);
        if (BeforeCommit is { } hook)
        {
            await hook(shard, cancellationToken).ConfigureAwait(false);
        }
        return new PartCommit
        {
            Item = task.Item,
            OperationId = Guid.NewGuid().ToString("N"),
            Attempt = task.Lease.Attempt,
            Token = task.Lease.Token,
            Rows = output.Rows,
            ChunkUrl = $"chunks/{shard.ChunkUrl.Name}",
            Bytes = output.Bytes,
            Batches = output.Batches,
            Ids = ids,
        };
    }

    /// <inheritdoc />
    public Task DiscardAsync(ItemTask task, ItemCommit result, CancellationToken cancellationToken) =>
        adapters.DeleteAsync(Shard(task).ChunkUrl, cancellationToken);

    /// <inheritdoc />
    public bool IsPermanent(Exception error) => error is ArgumentException or JobSpecException;

    /// <inheritdoc />
    public void Forget(string jobId) => shards.Forget(jobId);

    private static ShardTask Shard(ItemTask task)
    {
        var spec = (MetricsJobSpec)task.Job;
        var chunk = new Url(spec.MetricsTableUrl).Join($"chunks/shard-{task.Item:D5}-a{task.Lease.Attempt}-{task.Lease.Token[..8]}.arrow");
        return new ShardTask(spec, (PartPlan)task.Plan, task.Lease, chunk);
    }

    /// <summary>The shard's ids, after checking they are exactly the planned ones (naming the first wrong id).</summary>
    internal static IdSet CheckIds(ShardTask task, ShardOutput output)
    {
        var plan = task.Shard;
        IdSet ids;
        try
        {
            ids = IdSet.FromSorted(output.ExampleIds);
        }
        catch (Exception e) when (e is InvalidOperationException or ArgumentException)
        {
            throw new InvalidOperationException($"Shard {plan.Index} of job {task.Job.JobId}: {e.Message}", e);
        }
        if (output.ExampleIds.Length != output.Rows)
        {
            throw new InvalidOperationException($"Shard {plan.Index} of job {task.Job.JobId}: {output.Rows} rows but {output.ExampleIds.Length} example ids.");
        }
        foreach (var id in output.ExampleIds)
        {
            if (id < plan.Start || id >= plan.End)
            {
                throw new InvalidOperationException($"Shard {plan.Index} of job {task.Job.JobId}: example_id {id} is outside the shard's rows {plan.Start}..{plan.End - 1}.");
            }
        }
        if (plan.ExpectedRows == plan.End - plan.Start)
        {
            if (output.ExampleIds.Length != plan.ExpectedRows)
            {
                var expected = plan.Start;
                foreach (var id in output.ExampleIds)
                {
                    if (id != expected)
                    {
                        break;
                    }
                    expected++;
                }
                throw new InvalidOperationException($"Shard {plan.Index} of job {task.Job.JobId}: example_id {expected} is missing.");
            }
            return ids;
        }
        if (output.ExampleIds.Length != plan.ExpectedRows || ExampleIds.Digest(output.ExampleIds) != plan.IdDigest)
        {
            throw new InvalidOperationException(
                $"Shard {plan.Index} of job {task.Job.JobId}: {output.ExampleIds.Length} example ids do not match the {plan.ExpectedRows} planned ones.");
        }
        return ids;
    }
}
