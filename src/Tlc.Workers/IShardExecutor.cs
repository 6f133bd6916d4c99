using Tlc.Cluster;

namespace Tlc.Workers;

/// <summary>
/// Computes one shard of a metrics job: reads its rows, produces the metrics columns and writes them as one Arrow chunk
/// file at <see cref="ShardTask.ChunkUrl"/> (unique to the shard and attempt). The worker loop around it leases, renews,
/// checks the ids and commits.
/// </summary>
public interface IShardExecutor
{
    /// <summary>Computes the shard; returns what was written.</summary>
    Task<ShardOutput> ExecuteAsync(ShardTask task, CancellationToken cancellationToken);

    /// <summary>Told when a job is no longer active, so what was loaded for it (models, tables) can go.</summary>
    void Forget(string jobId)
    {
    }
}

/// <summary>One leased shard to compute.</summary>
/// <param name="Job">The job's spec.</param>
/// <param name="Shard">The shard's plan.</param>
/// <param name="Lease">The lease.</param>
/// <param name="ChunkUrl">Where to write the result chunk.</param>
public sealed record ShardTask(MetricsJobSpec Job, PartPlan Shard, LeaseGrant Lease, Url ChunkUrl);

/// <summary>What a shard produced.</summary>
/// <param name="Rows">Rows written.</param>
/// <param name="Bytes">The chunk's size.</param>
/// <param name="Batches">Rows per record batch.</param>
/// <param name="ExampleIds">The example ids written, in row order.</param>
public sealed record ShardOutput(long Rows, long Bytes, int[] Batches, long[] ExampleIds);
