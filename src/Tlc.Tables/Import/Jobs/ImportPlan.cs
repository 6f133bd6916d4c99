using Tlc.Cluster;

namespace Tlc.Tables.Import.Jobs;

/// <summary>A planned import: the job's spec and its chunks (the items; each travels to a worker with its lease, never all to every worker).</summary>
/// <param name="Spec">The job's spec.</param>
/// <param name="Chunks">The chunks, in order.</param>
public sealed record ImportPlan(ImportJobSpec Spec, IReadOnlyList<ImportChunkPlan> Chunks);
