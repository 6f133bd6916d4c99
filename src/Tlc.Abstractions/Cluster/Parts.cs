namespace Tlc.Cluster;

/// <summary>
/// What one work item of a metrics table must produce: its row range of the input table and the ids it must cover
/// (all rows, or the rows with a non-zero weight), as a count and a digest. Computed by the client at submission.
/// </summary>
/// <param name="Index">The part's index.</param>
/// <param name="Start">The first row of the range.</param>
/// <param name="End">One past the last row.</param>
/// <param name="ExpectedRows">How many ids the part must cover.</param>
/// <param name="IdDigest">The <see cref="ExampleIds.Digest(IEnumerable{long})"/> of those ids.</param>
[GenerateSerializer, Immutable]
public sealed record PartPlan(
    [property: Id(0)] int Index,
    [property: Id(1)] long Start,
    [property: Id(2)] long End,
    [property: Id(3)] long ExpectedRows,
    [property: Id(4)] string IdDigest);

/// <summary>
/// A committed (or to-be-committed) result chunk of a metrics table: an Arrow file in the metrics table's folder, unique
/// to (part, attempt), with the ids it covers.
/// </summary>
/// <param name="OperationId">Unique per write: a retried commit carries the same id.</param>
/// <param name="Attempt">The lease attempt that produced it (0 for writer parts, which are not leased).</param>
/// <param name="Token">The lease token (null for writer parts).</param>
/// <param name="ChunkUrl">The chunk file, relative to the metrics table folder.</param>
/// <param name="Rows">Its row count.</param>
/// <param name="Bytes">Its size in bytes.</param>
/// <param name="Batches">The rows of each record batch in it.</param>
/// <param name="IdRuns">The example ids it holds, as ascending runs.</param>
[GenerateSerializer, Immutable]
public sealed record PartCommit(
    [property: Id(0)] string OperationId,
    [property: Id(1)] int Attempt,
    [property: Id(2)] string? Token,
    [property: Id(3)] string ChunkUrl,
    [property: Id(4)] long Rows,
    [property: Id(5)] long Bytes,
    [property: Id(6)] int[] Batches,
    [property: Id(7)] IdRun[] IdRuns);

/// <summary>A part's state as its grain reports it.</summary>
/// <param name="Index">The part's index.</param>
/// <param name="Lease">Its lease state.</param>
/// <param name="Commit">The accepted commit, once there is one.</param>
[GenerateSerializer, Immutable]
public sealed record PartInfo([property: Id(0)] int Index, [property: Id(1)] LeaseState Lease, [property: Id(2)] PartCommit? Commit);

/// <summary>The answer to a commit: the outcome and, when rejected, why.</summary>
/// <param name="Outcome">What became of it.</param>
/// <param name="Reason">Why it was rejected.</param>
[GenerateSerializer, Immutable]
public sealed record CommitResult([property: Id(0)] CommitOutcome Outcome, [property: Id(1)] string? Reason = null);
