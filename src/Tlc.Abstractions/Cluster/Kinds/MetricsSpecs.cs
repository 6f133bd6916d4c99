using Tlc.Metrics;

namespace Tlc.Cluster;

/// <summary>
/// What every job that publishes a metrics table of a run shares: the input table (a fixed revision), the run, the metrics
/// table's folder, stream, schema and constants, and whether every input row must appear.
/// </summary>
[GenerateSerializer]
public abstract record MetricsTableSpec : JobSpec
{
    /// <summary>The input (foreign) table's exact revision.</summary>
    [Id(0)] public required string TableUrl { get; init; }

    /// <summary>The input table's object id (a different id means the table was overwritten).</summary>
    [Id(1)] public required string TableObjectId { get; init; }

    /// <summary>The input table's row count.</summary>
    [Id(2)] public required long TableRows { get; init; }

    /// <summary>The run ("project/run").</summary>
    [Id(3)] public required string RunKey { get; init; }

    /// <summary>The metrics table's folder (fixed at submission: publication is create-if-absent there).</summary>
    [Id(4)] public required string MetricsTableUrl { get; init; }

    /// <summary>The metrics table's stream name.</summary>
    [Id(5)] public required string StreamName { get; init; }

    /// <summary>The metrics table's schema (a <c>TableSchema</c> as JSON).</summary>
    [Id(6)] public required string OutputSchemaJson { get; init; }

    /// <summary>Constant columns as a JSON object (e.g. <c>{"epoch": 2, "split": "val"}</c>).</summary>
    [Id(7)] public string? ConstantsJson { get; init; }

    /// <summary>True when every input row must appear exactly once at publication (else at most once).</summary>
    [Id(8)] public bool RequireFullCoverage { get; init; }

    /// <inheritdoc />
    public override string? Run => RunKey;
}

/// <summary>
/// A distributed collect_metrics job (<see cref="JobKinds.Metrics"/>): the model and collectors as specs, cut into shards
/// of <see cref="ShardRows"/> rows that workers lease. Shard plans are implied by the spec unless zero weights are
/// excluded (then the client sends each shard's id count and digest).
/// </summary>
[GenerateSerializer]
public sealed record MetricsJobSpec : MetricsTableSpec
{
    /// <summary>The model.</summary>
    [Id(0)] public required ModelSpec Model { get; init; }

    /// <summary>The collectors.</summary>
    [Id(1)] public required CollectorSpec[] Collectors { get; init; }

    /// <summary>Skip rows whose weight is 0.</summary>
    [Id(2)] public bool ExcludeZeroWeights { get; init; }

    /// <summary>Samples per model batch. Default: 64.</summary>
    [Id(3)] public int BatchSize { get; init; } = 64;

    /// <summary>Rows per shard (a multiple of <see cref="BatchSize"/>); the last shard may be shorter.</summary>
    [Id(4)] public required int ShardRows { get; init; }

    /// <summary>The split name stored with the run's aggregates (e.g. "val").</summary>
    [Id(5)] public string? Split { get; init; }

    /// <inheritdoc />
    public override string Kind => JobKinds.Metrics;

    /// <inheritdoc />
    public override string ItemNoun => "shard";

    /// <inheritdoc />
    public override bool ExplicitPlans => ExcludeZeroWeights;

    /// <inheritdoc />
    public override string Describe() => $"metrics of {TableUrl} ({Model.Kind}:{Model.Name}) into {RunKey}";

    /// <summary>The number of shards of <paramref name="tableRows"/> rows cut every <paramref name="shardRows"/> rows (at least one).</summary>
    public static int ShardCount(long tableRows, int shardRows) => (int)Math.Max(1, (tableRows + shardRows - 1) / shardRows);

    /// <inheritdoc />
    public override WorkItemPlan? ImpliedPlan(int item)
    {
        if (ExplicitPlans)
        {
            return null;
        }
        var start = (long)item * ShardRows;
        var end = Math.Min(TableRows, start + ShardRows);
        return new PartPlan(item, start, end, end - start, "");
    }

    /// <inheritdoc />
    public override void Validate()
    {
        base.Validate();
        if (ShardRows < 1 || BatchSize < 1 || ShardRows % BatchSize != 0)
        {
            throw new ArgumentException($"Job {JobId}: ShardRows ({ShardRows}) must be a positive multiple of BatchSize ({BatchSize}).");
        }
        if (Items != ShardCount(TableRows, ShardRows))
        {
            throw new ArgumentException($"Job {JobId}: {Items} items for {TableRows} rows in shards of {ShardRows}.");
        }
    }
}

/// <summary>
/// A metrics table written by writers (<see cref="JobKinds.Stream"/>): a training script's <c>MetricsTableWriter</c>, or
/// several writers (ranks) feeding one table. Each flushed chunk is an item its writer owns; the owner publishes it.
/// </summary>
[GenerateSerializer]
public sealed record MetricsStreamSpec : MetricsTableSpec
{
    /// <summary>The default items per segment of a stream: 16 (a part may list up to a chunk of scattered ids).</summary>
    public const int DefaultPartsPerSegment = 16;

    /// <inheritdoc />
    public override string Kind => JobKinds.Stream;

    /// <inheritdoc />
    public override string ItemNoun => "part";

    /// <inheritdoc />
    public override bool Leased => false;

    /// <inheritdoc />
    public override bool ExplicitPlans => false;

    /// <summary>The epoch of a stream of ranks (each epoch's table is a stream of its own), if any.</summary>
    [Id(0)] public int? Epoch { get; init; }

    /// <summary>The launch the ranks belong to (ranks of one launch, and its restarts, share the stream), if any.</summary>
    [Id(1)] public string? LaunchId { get; init; }

    /// <inheritdoc />
    public override string WriterNoun => "rank";

    /// <inheritdoc />
    public override string Describe() => Writers > 0
        ? $"stream '{StreamName}'{(Epoch is { } epoch ? $" epoch {epoch}" : "")} of {RunKey} over {TableUrl}, {Writers} ranks"
        : $"stream '{StreamName}' of {RunKey} over {TableUrl}";
}

/// <summary>
/// What one shard of a metrics table must produce: its row range of the input table and the ids it must cover (all rows,
/// or the rows with a non-zero weight, as a count and a digest).
/// </summary>
/// <param name="Index">The shard's index.</param>
/// <param name="Start">The first row of the range.</param>
/// <param name="End">One past the last row.</param>
/// <param name="ExpectedRows">How many ids the shard must cover.</param>
/// <param name="IdDigest">The <see cref="ExampleIds.Digest(IEnumerable{long})"/> of those ids (empty when they are the whole range).</param>
[GenerateSerializer, Immutable]
public sealed record PartPlan(
    int Index,
    [property: Id(0)] long Start,
    [property: Id(1)] long End,
    [property: Id(2)] long ExpectedRows,
    [property: Id(3)] string IdDigest) : WorkItemPlan(Index);

/// <summary>
/// A result chunk of a metrics table: an Arrow file in the metrics table's folder, unique to (item, attempt), with the
/// example ids it holds.
/// </summary>
[GenerateSerializer, Immutable, SuppressReferenceTracking]
public sealed record PartCommit : ItemCommit
{
    /// <summary>The chunk file, relative to the metrics table folder.</summary>
    [Id(0)] public required string ChunkUrl { get; init; }

    /// <summary>Its size in bytes.</summary>
    [Id(1)] public long Bytes { get; init; }

    /// <summary>The rows of each record batch in it.</summary>
    [Id(2)] public int[] Batches { get; init; } = [];

    /// <summary>The example ids it holds.</summary>
    [Id(3)] public required IdSet Ids { get; init; }
}
