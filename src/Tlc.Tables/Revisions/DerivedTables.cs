using System.Text.Json.Nodes;
using Apache.Arrow;
using Apache.Arrow.Ipc;
using Apache.Arrow.Types;
using Tlc.Schemas;
using Tlc.Tables.Reading;
using Tlc.Tables.Storage;
using Tlc.Tables.Urls;

namespace Tlc.Tables.Revisions;

/// <summary>Reads and writes the row maps and edits of derived tables (revisions, filters, subsets, joins).</summary>
internal static partial class DerivedTables
{
    /// <summary>The special edit column marking deleted rows (3LC's name).</summary>
    public const string DeleteColumn = "SHOULD_DELETE";

    /// <summary>Runs above this count go to an Arrow sidecar instead of the object file.</summary>
    public const int InlineRunLimit = 10_000;

    /// <summary>
    /// An edit that sets every row of the parent stays inline only while its <c>runs_and_values</c>, written compactly,
    /// take at most this many bytes (a column added with one default value); above, it is a dense chunk.
    /// </summary>
    public const int InlineDenseBytes = 4_096;

    /// <summary>The rows of each record batch of a dense edit chunk (the default <c>tables.batch_rows</c>).</summary>
    public const int DenseBatchRows = 65_536;

    /// <summary>
    /// True for the name of a file a derived table's object file references beside it: a row map sidecar
    /// (<c>rowmap-&lt;id&gt;.arrow</c>), an edit sidecar of runs (<c>edits-&lt;id&gt;-&lt;n&gt;.arrow</c>) or a dense edit chunk
    /// (<c>column-&lt;id&gt;-&lt;n&gt;.arrow</c>), where id is the object's id.
    /// </summary>
    public static bool IsSidecarName(string name) => SidecarName().IsMatch(name);

    [System.Text.RegularExpressions.GeneratedRegex("^(rowmap-[A-Za-z0-9]+|(edits|column)-[A-Za-z0-9]+-[0-9]{3,})\\.arrow$")]
    private static partial System.Text.RegularExpressions.Regex SidecarName();

    public static async Task<TableData> BuildDataAsync(Url url, TableObject table, TableSchema schema, TableData parent,
        UrlAdapterRegistry adapters, CancellationToken cancellationToken)
    {
        var where = TableLayout.ObjectFile(url).Value;
        RowRuns? map = null;
        if (table.RowMap is { } rowMap)
        {
            map = await ReadRowMapAsync(url, rowMap, adapters, where, cancellationToken).ConfigureAwait(false);
            if (map.Count > 0 && map.Runs.Last() is var (s, c) && s + c > parent.RowCount)
            {
                throw new FormatException($"{where}: the row map reaches row {s + c - 1} but the parent has {parent.RowCount} rows.");
            }
        }
        var edits = new Dictionary<string, IColumnEdits>(StringComparer.Ordinal);
        RowRuns? deleted = null;
        foreach (var (column, info) in table.Edits ?? [])
        {
            if (column == DeleteColumn)
            {
                if (info.Chunk is not null)
                {
                    throw new FormatException($"{where}: deleted rows ({DeleteColumn}) are stored as runs, never as a dense chunk.");
                }
                var deletes = await ReadEditsAsync(url, info, column, new BoolSchema(), adapters, where, cancellationToken).ConfigureAwait(false);
                deleted = new RowRuns(deletes.Runs.Where(r => r.Value is true).Select(r => (r.Start, r.End - r.Start + 1)));
                continue;
            }
            var columnSchema = schema.Find(column) ?? throw new FormatException($"{where}: edits name the unknown column '{column}'.");
            if (info.Chunk is { } chunk)
            {
                if (info.RunsAndValues is not null || info.Sidecar is not null)
                {
                    throw new FormatException($"{where}: edits of '{column}' name a dense chunk and runs; one of them only.");
                }
                if (chunk.Rows != parent.RowCount)
                {
                    throw new FormatException($"{where}: the dense edit chunk '{chunk.Url}' of '{column}' has {chunk.Rows} rows but the parent has {parent.RowCount}.");
                }
                edits[column] = DenseColumnEdits.Open(url, chunk, column, columnSchema, adapters, where);
                continue;
            }
            edits[column] = await ReadEditsAsync(url, info, column, columnSchema, adapters, where, cancellationToken).ConfigureAwait(false);
        }
        foreach (var (column, e) in edits)
        {
            if (e.LastRow >= parent.RowCount)
            {
                throw new FormatException($"{where}: edits of '{column}' reach row {e.LastRow} but the parent has {parent.RowCount} rows.");
            }
        }
        if (deleted is not null)
        {
            map = (map ?? RowRuns.All(parent.RowCount)).Except(deleted);
        }
        var data = new DerivedData(parent, schema, map, edits, new HashSet<string>(table.SchemaOverrides?.Keys ?? Enumerable.Empty<string>(), StringComparer.Ordinal));
        if (data.RowCount != table.RowCount)
        {
            throw new FormatException($"{where}: row_count is {table.RowCount} but the parent, row map and deletions give {data.RowCount}.");
        }
        return data;
    }

    private static async Task<RowRuns> ReadRowMapAsync(Url url, RowMapInfo rowMap, UrlAdapterRegistry adapters, string where, CancellationToken cancellationToken)
    {
        if (rowMap.Runs is { } runs)
        {
            return new RowRuns(runs.Select((r, i) => r.Length == 2 ? (r[0], r[1]) : throw new FormatException($"{where}: row_map run {i} must be [start, count].")));
        }
        if (rowMap.Sidecar is { } sidecar)
        {
            var result = new List<(long, long)>();
            foreach (var batch in await ReadSidecarAsync(url, sidecar, adapters, cancellationToken).ConfigureAwait(false))
            {
                if (batch.Column("start") is not Int64Array starts || batch.Column("count") is not Int64Array counts)
                {
                    throw new FormatException($"{where}: row map sidecar '{sidecar}' needs int64 columns start and count.");
                }
                for (var i = 0; i < batch.Length; i++)
                {
                    result.Add((starts.Values[i], counts.Values[i]));
                }
            }
            return new RowRuns(result);
        }
        throw new FormatException($"{where}: row_map needs runs or a sidecar.");
    }

    private static async Task<ColumnEdits> ReadEditsAsync(Url url, ColumnEditsInfo info, string column, ColumnSchema schema,
        UrlAdapterRegistry adapters, string where, CancellationToken cancellationToken)
    {
        if (info.RunsAndValues is { } inline)
        {
            try
            {
                return ColumnEdits.FromRunsAndValues(inline, column, schema, where);
            }
            catch (RowValidationException e)
            {
                throw new FormatException($"{where}: edit of '{column}' at row {e.Row}: {e.Problem}", e);
            }
        }
        if (info.Sidecar is { } sidecar)
        {
            return ColumnEdits.FromRecordBatches(await ReadSidecarAsync(url, sidecar, adapters, cancellationToken).ConfigureAwait(false), column, schema, where);
        }
        throw new FormatException($"{where}: edits of '{column}' need runs_and_values or a sidecar.");
    }

    private static async Task<List<RecordBatch>> ReadSidecarAsync(Url url, string sidecar, UrlAdapterRegistry adapters, CancellationToken cancellationToken)
    {
        var sidecarUrl = ObjectFiles.Resolve(url, sidecar, "sidecar url");
        await using var stream = await adapters.OpenReadAsync(sidecarUrl, cancellationToken).ConfigureAwait(false);
        using var reader = new ArrowFileReader(stream, Storage.Compression.Codecs);
        var batches = new List<RecordBatch>();
        RecordBatch? batch;
        while ((batch = await reader.ReadNextRecordBatchAsync(cancellationToken).ConfigureAwait(false)) is not null)
        {
            batches.Add(batch);
        }
        return batches;
    }

    /// <summary>Stores a row map in <paramref name="table"/>: inline when small, else as a sidecar file in the table folder.</summary>
    public static async Task StoreRowMapAsync(TableObject table, Url url, RowRuns runs, UrlAdapterRegistry adapters, List<Url> written,
        CancellationToken cancellationToken)
    {
        var list = runs.Runs.ToList();
        if (list.Count <= InlineRunLimit)
        {
            table.RowMap = new RowMapInfo { Runs = list.Select(r => new[] { r.Start, r.Count }).ToList() };
            return;
        }
        var schema = new Apache.Arrow.Schema.Builder()
            .Field(new Field("start", Int64Type.Default, false))
            .Field(new Field("count", Int64Type.Default, false)).Build();
        var batch = new RecordBatch(schema,
            [new Int64Array.Builder().AppendRange(list.Select(r => r.Start)).Build(), new Int64Array.Builder().AppendRange(list.Select(r => r.Count)).Build()],
            list.Count);
        var name = $"rowmap-{table.Id}.arrow";
        await WriteSidecarAsync(url.Join(name), batch, adapters, written, cancellationToken).ConfigureAwait(false);
        table.RowMap = new RowMapInfo { Sidecar = name };
    }

    /// <summary>
    /// Stores a column's edits over the <paramref name="parentRows"/> rows of the parent in <paramref name="table"/>: an
    /// edit that sets every row as a dense chunk (one value per row, <c>column-&lt;id&gt;-&lt;n&gt;.arrow</c>) unless its
    /// runs are tiny (<see cref="InlineDenseBytes"/>); other edits inline while at most <see cref="InlineRunLimit"/> runs,
    /// else as a sidecar of runs. Files go to <paramref name="written"/> before they are written.
    /// </summary>
    public static async Task StoreEditsAsync(TableObject table, Url url, string column, ColumnSchema schema, ColumnEdits edits, long parentRows,
        int denseBatchRows, UrlAdapterRegistry adapters, List<Url> written, CancellationToken cancellationToken)
    {
        table.Edits ??= new Dictionary<string, ColumnEditsInfo>(StringComparer.Ordinal);
        var index = table.Edits.Count;
        if (column != DeleteColumn && edits.CoversEveryRow(parentRows))
        {
            if (edits.RunsAndValuesWithin(InlineDenseBytes) is { } small)
            {
                table.Edits[column] = new ColumnEditsInfo { RunsAndValues = small };
                return;
            }
            var chunkName = $"column-{table.Id}-{index:D3}.arrow";
            var chunk = await DenseColumnEdits.WriteAsync(url.Join(chunkName), chunkName, column, schema, edits, denseBatchRows, adapters, written, cancellationToken)
                .ConfigureAwait(false);
            table.Edits[column] = new ColumnEditsInfo { Chunk = chunk };
            table.FormatVersion = Math.Max(table.FormatVersion, TableObject.DenseEditsFormatVersion);
            return;
        }
        if (edits.RunCount <= InlineRunLimit)
        {
            table.Edits[column] = new ColumnEditsInfo { RunsAndValues = edits.ToRunsAndValues() };
            return;
        }
        var name = $"edits-{table.Id}-{index:D3}.arrow";
        await WriteSidecarAsync(url.Join(name), edits.ToRecordBatch(schema), adapters, written, cancellationToken).ConfigureAwait(false);
        table.Edits[column] = new ColumnEditsInfo { Sidecar = name };
    }

    private static async Task WriteSidecarAsync(Url url, RecordBatch batch, UrlAdapterRegistry adapters, List<Url> written, CancellationToken cancellationToken)
    {
        await using var stream = adapters.OpenWrite(url, WriteMode.CreateNew);
        written.Add(url);
        using (var writer = new ArrowFileWriter(stream, batch.Schema, leaveOpen: true))
        {
            await writer.WriteRecordBatchAsync(batch, cancellationToken).ConfigureAwait(false);
            await writer.WriteEndAsync(cancellationToken).ConfigureAwait(false);
        }
        await stream.CommitAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Deletes sidecar files written for an object that was not published.</summary>
    public static async Task DeleteAsync(IEnumerable<Url> written, UrlAdapterRegistry adapters)
    {
        foreach (var url in written)
        {
            try
            {
                await adapters.DeleteAsync(url, CancellationToken.None).ConfigureAwait(false);
            }
            catch (IOException)
            {
                // Best effort.
            }
        }
    }

    /// <summary>The parent reference stored for <paramref name="parent"/> in the object of a table at <paramref name="url"/>.</summary>
    public static ParentRef ParentOf(Url url, Table parent) => new()
    {
        Url = ObjectFiles.Relativize(url, parent.Url),
        Id = parent.Object.Id,
        RowCount = parent.RowCount,
    };

    public static JsonObject Details(params (string Key, JsonNode? Value)[] entries)
    {
        var o = new JsonObject();
        foreach (var (key, value) in entries)
        {
            o[key] = value;
        }
        return o;
    }
}
