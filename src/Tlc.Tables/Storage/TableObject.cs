using System.Text.Json.Nodes;
using System.Text.Json.Serialization;

namespace Tlc.Tables.Storage;

/// <summary>
/// The object file of a table (<c>object.tlc.json</c>): schema, row count, lineage, chunk list and, for derived tables
/// and revisions, the sparse row selection and edits over the parent. Written once, atomically; never changed.
/// </summary>
public sealed class TableObject
{
    /// <summary>The newest format version this code reads and writes.</summary>
    public const int CurrentFormatVersion = 2;

    /// <summary>
    /// The format version of an object that uses nothing added after version 1. A new object is written with the lowest
    /// version that describes it, so readers of version 1 keep reading every object that does not need more.
    /// </summary>
    public const int BaseFormatVersion = 1;

    /// <summary>The format version that added dense edit chunks (<see cref="ColumnEditsInfo.Chunk"/>).</summary>
    public const int DenseEditsFormatVersion = 2;

    /// <summary>The object file's name inside a table folder.</summary>
    public const string FileName = "object.tlc.json";

    /// <summary>The format version this object was written with (<see cref="BaseFormatVersion"/> unless it needs a newer one).</summary>
    [JsonPropertyName("format_version")]
    public int FormatVersion { get; set; } = BaseFormatVersion;

    /// <summary>Always "table".</summary>
    [JsonPropertyName("type")]
    public string Type { get; set; } = "table";

    /// <summary>A unique id of this object (a new one on every write, also on overwrite).</summary>
    [JsonPropertyName("id")]
    public string Id { get; set; } = "";

    /// <summary>The table name (the folder name).</summary>
    [JsonPropertyName("name")]
    public string Name { get; set; } = "";

    /// <summary>The project name.</summary>
    [JsonPropertyName("project")]
    public string? Project { get; set; }

    /// <summary>The dataset name.</summary>
    [JsonPropertyName("dataset")]
    public string? Dataset { get; set; }

    /// <summary>When the object was written (UTC).</summary>
    [JsonPropertyName("created")]
    public DateTimeOffset Created { get; set; }

    /// <summary>A free-text description.</summary>
    [JsonPropertyName("description")]
    public string? Description { get; set; }

    /// <summary>The number of rows.</summary>
    [JsonPropertyName("row_count")]
    public long RowCount { get; set; }

    /// <summary>The table schema (see <see cref="Tlc.Schemas.TableSchema.ToJson"/>).</summary>
    [JsonPropertyName("schema")]
    public JsonObject Schema { get; set; } = new();

    /// <summary>Where the rows come from.</summary>
    [JsonPropertyName("lineage")]
    public Lineage Lineage { get; set; } = new();

    /// <summary>The table's place in its revision chain.</summary>
    [JsonPropertyName("revision")]
    public RevisionInfo Revision { get; set; } = new();

    /// <summary>The Arrow chunk files of a table that stores rows (kind source or squash), in row order.</summary>
    [JsonPropertyName("chunks")]
    public List<ChunkInfo> Chunks { get; set; } = [];

    /// <summary>For derived tables: which parent rows are kept, as runs; null keeps every row (less deleted ones).</summary>
    [JsonPropertyName("row_map")]
    public RowMapInfo? RowMap { get; set; }

    /// <summary>
    /// For revisions: value edits per column over the parent's rows, in 3LC's <c>runs_and_values</c> form (inline or in
    /// an Arrow sidecar of runs), or, for a column set on every row, a dense Arrow chunk of one value per parent row.
    /// </summary>
    [JsonPropertyName("edits")]
    public Dictionary<string, ColumnEditsInfo>? Edits { get; set; }

    /// <summary>For revisions: schema changes per column (a schema adds or replaces a column, null deletes it).</summary>
    [JsonPropertyName("schema_overrides")]
    public Dictionary<string, JsonNode?>? SchemaOverrides { get; set; }

    /// <summary>Where an imported table came from: format, input URL and options.</summary>
    [JsonPropertyName("source")]
    public JsonObject? Source { get; set; }

    /// <summary>Free-form properties (e.g. the URL of an import's quarantine table).</summary>
    [JsonPropertyName("properties")]
    public Dictionary<string, string>? Properties { get; set; }

    /// <summary>
    /// The property naming the int64 column a table's rows are read in ascending order of, when its chunks hold them in
    /// another order (a metrics table written by several ranks at once: <c>"row_order": "example_id"</c>).
    /// </summary>
    public const string RowOrderProperty = "row_order";

    /// <summary>The property of a metrics table naming the exact input table revision its <c>example_id</c>s index.</summary>
    public const string ForeignTableUrlProperty = "foreign_table_url";

    /// <summary>The property of a metrics table naming its run (<c>project/run</c>).</summary>
    public const string RunProperty = "run";

    /// <summary>The property of a metrics table naming its stream (e.g. <c>val</c>).</summary>
    public const string StreamNameProperty = "stream_name";

    /// <summary>The property of a metrics table holding the constants its rows share (a JSON object, e.g. the epoch).</summary>
    public const string ConstantsProperty = "constants";
}

/// <summary>How a table's rows were made.</summary>
public sealed class Lineage
{
    /// <summary>One of <see cref="LineageKinds"/>.</summary>
    [JsonPropertyName("kind")]
    public string Kind { get; set; } = LineageKinds.Source;

    /// <summary>The parent tables (relative URLs where inside the same root).</summary>
    [JsonPropertyName("parents")]
    public List<ParentRef> Parents { get; set; } = [];

    /// <summary>What produced the table (filter predicates, subset seed, edit summary, ...).</summary>
    [JsonPropertyName("details")]
    public JsonObject? Details { get; set; }
}

/// <summary>The kinds of lineage.</summary>
public static class LineageKinds
{
    /// <summary>Rows written by a writer or importer.</summary>
    public const string Source = "source";

    /// <summary>A revision: the parent with sparse edits.</summary>
    public const string Edit = "edit";

    /// <summary>The parent's rows matching column predicates.</summary>
    public const string Filter = "filter";

    /// <summary>A seeded fraction or index ranges of the parent.</summary>
    public const string Subset = "subset";

    /// <summary>The parents' rows one after another (vertical join).</summary>
    public const string Join = "join";

    /// <summary>A materialised copy of another table, with no lineage to read through.</summary>
    public const string Squash = "squash";

    /// <summary>A metrics table: per-sample model outputs keyed by <c>example_id</c>, assembled by a sink from committed parts.</summary>
    public const string Metrics = "metrics";

    /// <summary>True for kinds whose rows are stored in the table's own chunks.</summary>
    public static bool StoresRows(string kind) => kind is Source or Squash or Metrics;
}

/// <summary>A reference to a parent table.</summary>
public sealed class ParentRef
{
    /// <summary>The parent's URL, relative to this table's folder where possible.</summary>
    [JsonPropertyName("url")]
    public string Url { get; set; } = "";

    /// <summary>The parent's object id at the time of derivation; a mismatch means the parent was overwritten.</summary>
    [JsonPropertyName("id")]
    public string Id { get; set; } = "";

    /// <summary>The parent's row count at the time of derivation.</summary>
    [JsonPropertyName("row_count")]
    public long RowCount { get; set; }
}

/// <summary>The place of a table in its revision chain: <c>root</c>, <c>root.r0001</c>, <c>root.r0002</c>, ...</summary>
public sealed class RevisionInfo
{
    /// <summary>The name of the chain's first table.</summary>
    [JsonPropertyName("root")]
    public string Root { get; set; } = "";

    /// <summary>Bumped when the root is overwritten, so a new chain never collides with the old one.</summary>
    [JsonPropertyName("generation")]
    public int Generation { get; set; }

    /// <summary>0 for the root, n for its n-th revision.</summary>
    [JsonPropertyName("number")]
    public int Number { get; set; }
}

/// <summary>One Arrow IPC file of a table.</summary>
public sealed class ChunkInfo
{
    /// <summary>The chunk's URL relative to the table folder.</summary>
    [JsonPropertyName("url")]
    public string Url { get; set; } = "";

    /// <summary>The number of rows.</summary>
    [JsonPropertyName("rows")]
    public long Rows { get; set; }

    /// <summary>The file size in bytes.</summary>
    [JsonPropertyName("bytes")]
    public long Bytes { get; set; }

    /// <summary>The rows of each record batch, in order.</summary>
    [JsonPropertyName("batches")]
    public List<int> Batches { get; set; } = [];
}

/// <summary>The kept parent rows of a derived table.</summary>
public sealed class RowMapInfo
{
    /// <summary>Inline runs: <c>[start, count]</c> pairs of parent rows, ascending.</summary>
    [JsonPropertyName("runs")]
    public List<long[]>? Runs { get; set; }

    /// <summary>Instead of inline runs: an Arrow file (relative URL) with int64 columns <c>start</c> and <c>count</c>.</summary>
    [JsonPropertyName("sidecar")]
    public string? Sidecar { get; set; }
}

/// <summary>The edits of one column: exactly one of inline runs, a sidecar of runs or a dense chunk.</summary>
public sealed class ColumnEditsInfo
{
    /// <summary>3LC's <c>runs_and_values</c>: <c>[[rows...], value, [rows...], value, ...]</c>; a negative row closes a range.</summary>
    [JsonPropertyName("runs_and_values")]
    public JsonArray? RunsAndValues { get; set; }

    /// <summary>Instead of inline runs: an Arrow file (relative URL) with columns <c>start</c>, <c>end</c> (inclusive) and <c>value</c>.</summary>
    [JsonPropertyName("sidecar")]
    public string? Sidecar { get; set; }

    /// <summary>
    /// Instead of runs, for an edit that sets every row of the parent: an Arrow IPC file (its URL relative to the table
    /// folder) with one column, named and typed as the table stores the edited column, holding one value per parent row
    /// in row order; its rows and the rows of each record batch as for a table chunk. Needs format version
    /// <see cref="TableObject.DenseEditsFormatVersion"/>.
    /// </summary>
    [JsonPropertyName("chunk")]
    public ChunkInfo? Chunk { get; set; }
}
