namespace Tlc.Cluster;

/// <summary>What an import does with bad rows.</summary>
public enum ImportErrorPolicy
{
    /// <summary>The job fails with the errors found (each chunk's first), nothing is published.</summary>
    Fail,
    /// <summary>Bad rows are left out and listed in a quarantine table linked from the imported table.</summary>
    Skip,
}

/// <summary>
/// An import (<see cref="JobKinds.Import"/>): the source, the schema fixed by the planner, the format's conversion
/// settings; its chunks (<see cref="ImportChunkPlan"/>) are the items, sent with their leases. Small: it never holds rows.
/// </summary>
[GenerateSerializer]
public sealed record ImportJobSpec : JobSpec
{
    /// <summary>The source format ("csv", "ndjson", "parquet", "coco", "yolo", "image-folder", "hf").</summary>
    [Id(0)] public required string Format { get; init; }

    /// <summary>The source URL.</summary>
    [Id(1)] public required string SourceUrl { get; init; }

    /// <summary>The table to publish (its folder URL; the object file is written there last).</summary>
    [Id(2)] public required string TableUrl { get; init; }

    /// <summary>The table's schema (a TableSchema as JSON), fixed by the planner for every chunk.</summary>
    [Id(3)] public required string SchemaJson { get; init; }

    /// <summary>The format's conversion settings (JSON: separator, null values, batch rows, …).</summary>
    [Id(4)] public required string ConversionJson { get; init; }

    /// <summary>The object file's <c>lineage</c> (JSON): the import provenance, as the small-file path records it.</summary>
    [Id(5)] public string? LineageJson { get; init; }

    /// <summary>The table's description.</summary>
    [Id(6)] public string? Description { get; init; }

    /// <summary>What to do with bad rows.</summary>
    [Id(7)] public ImportErrorPolicy ErrorPolicy { get; init; }

    /// <summary>Arrow compression of the chunk files ("none", "lz4", "zstd"). Default: none.</summary>
    [Id(8)] public string Compression { get; init; } = "none";

    /// <inheritdoc />
    public override string Kind => JobKinds.Import;

    /// <inheritdoc />
    public override string ItemNoun => "chunk";

    /// <inheritdoc />
    public override string Describe() => $"{Format} import of {SourceUrl} into {TableUrl}";
}

/// <summary>
/// One chunk of an import's source, cut by the planner so that chunks convert independently: a byte range at record
/// boundaries (CSV, NDJSON), a row group (Parquet), a range of image ids (COCO), a page of files (YOLO, image folders),
/// a range of record batches of an Arrow file (Hugging Face saved datasets).
/// </summary>
/// <param name="Index">The chunk's index; chunks are published in index order.</param>
/// <param name="Descriptor">The format's description of the chunk (JSON), e.g. <c>{"start":0,"end":1048576,"first_line":2}</c>.</param>
/// <param name="Bytes">Source bytes it covers (for progress and the resume-cost figure).</param>
[GenerateSerializer, Immutable]
public sealed record ImportChunkPlan(int Index, [property: Id(0)] string Descriptor, [property: Id(1)] long Bytes) : WorkItemPlan(Index)
{
    /// <inheritdoc />
    public override long SourceBytes => Bytes;
}

/// <summary>
/// A converted chunk, committed once: its Arrow file (relative to the table folder, unique to chunk and attempt), the
/// schema it was written with, under the fail policy the error that stopped it (<see cref="ItemCommit.Error"/>), under
/// skip its quarantined rows.
/// </summary>
[GenerateSerializer, Immutable, SuppressReferenceTracking]
public sealed record ImportChunkCommit : ItemCommit
{
    /// <summary>The chunk file relative to the table folder (null when the chunk has no rows or failed).</summary>
    [Id(0)] public string? ChunkUrl { get; init; }

    /// <summary>The chunk file's size.</summary>
    [Id(1)] public long Bytes { get; init; }

    /// <summary>Rows per record batch in the file.</summary>
    [Id(2)] public int[] Batches { get; init; } = [];

    /// <summary>Under the skip policy, the Arrow file listing the chunk's bad rows (relative to the quarantine table folder).</summary>
    [Id(3)] public string? QuarantineUrl { get; init; }

    /// <summary>How many rows it lists.</summary>
    [Id(4)] public long QuarantinedRows { get; init; }

    /// <summary>Its size in bytes.</summary>
    [Id(5)] public long QuarantineBytes { get; init; }

    /// <summary>Rows per record batch in it.</summary>
    [Id(6)] public int[] QuarantineBatches { get; init; } = [];
}
