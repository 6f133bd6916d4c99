using System.Text.Json.Nodes;
using Tlc.Schemas;
using Tlc.Tables.Revisions;
using Tlc.Tables.Storage;
using Tlc.Tables.Urls;

namespace Tlc.Tables;

/// <summary>
/// Collects edits of one table revision (its base) and commits them as a new revision that names the base and stores
/// only the edits: values set on row runs, deleted rows, added or deleted columns, value-map and weight edits. A column
/// set on every row (per-row values such as reduced embeddings) is stored as a dense Arrow chunk beside the object file,
/// other edits as runs (see <c>docs/storage-format.md</c>).
/// Row numbers are rows of the base. A commit is refused with <see cref="StaleRevisionException"/> when the base is no
/// longer the head of its lineage.
/// </summary>
public sealed class TableEditor
{
    private readonly Table _base;
    private readonly ITableCatalog _catalog;
    private readonly TableSchema _schema;
    private readonly Dictionary<string, JsonNode?> _overrides = new(StringComparer.Ordinal);
    private readonly Dictionary<string, List<(long Start, long End, object? Value)>> _assignments = new(StringComparer.Ordinal);
    private readonly List<(long Start, long End)> _deletes = [];
    private readonly List<string> _summary = [];
    private string? _description;
    private StoredUrls? _storedUrls;

    internal TableEditor(Table baseRevision, ITableCatalog catalog)
    {
        _base = baseRevision;
        _catalog = catalog;
        _schema = baseRevision.Schema.Clone();
    }

    /// <summary>The rows of each record batch of a dense edit chunk (tests make it small to get several batches).</summary>
    internal int DenseBatchRows { get; set; } = DerivedTables.DenseBatchRows;

    /// <summary>The revision the edits apply to.</summary>
    public Table Base => _base;

    /// <summary>The schema the revision will have.</summary>
    public TableSchema Schema => _schema;

    /// <summary>True when nothing was edited yet.</summary>
    public bool IsEmpty => _overrides.Count == 0 && _assignments.Count == 0 && _deletes.Count == 0 && _description is null;

    /// <summary>Sets <paramref name="column"/> of one row.</summary>
    public TableEditor SetValue(string column, long row, object? value) => SetRange(column, row, row, value);

    /// <summary>Sets <paramref name="column"/> of each row in <paramref name="rows"/> to <paramref name="value"/>.</summary>
    public TableEditor SetValues(string column, IEnumerable<long> rows, object? value)
    {
        ArgumentNullException.ThrowIfNull(rows);
        var sorted = rows.Distinct().Order().ToList();
        if (sorted.Count > 0)
        {
            CheckRows(sorted[0], sorted[^1], $"setting '{column}'");
        }
        foreach (var (start, count) in RowRuns.FromSorted(sorted).Runs)
        {
            SetRange(column, start, start + count - 1, value);
        }
        return this;
    }

    /// <summary>
    /// Sets <paramref name="column"/> of each row in <paramref name="rows"/> to the value at the same position in
    /// <paramref name="values"/> (one value per row, e.g. a computed column; one summary line for the whole edit).
    /// </summary>
    public TableEditor SetEach(string column, IReadOnlyList<long> rows, IReadOnlyList<object?> values)
    {
        ArgumentNullException.ThrowIfNull(rows);
        ArgumentNullException.ThrowIfNull(values);
        if (rows.Count != values.Count)
        {
            throw new ArgumentException($"Setting '{column}': {rows.Count} rows but {values.Count} values.", nameof(values));
        }
        WritableColumn(column);
        for (var i = 0; i < rows.Count; i++)
        {
            CheckRows(rows[i], rows[i], $"setting '{column}'");
            Assign(column, rows[i], rows[i], values[i]);
        }
        _summary.Add($"set {column} on {rows.Count} row(s)");
        return this;
    }

    /// <summary>Sets <paramref name="column"/> of rows <paramref name="start"/>..<paramref name="endInclusive"/>.</summary>
    public TableEditor SetRange(string column, long start, long endInclusive, object? value)
    {
        var schema = WritableColumn(column);
        CheckRows(start, endInclusive, $"setting '{column}'");
        _ = schema;
        Assign(column, start, endInclusive, value);
        _summary.Add($"set {column} on {endInclusive - start + 1} row(s)");
        return this;
    }

    /// <summary>Sets the sample weight of <paramref name="rows"/> (0 excludes them from weighted sampling).</summary>
    public TableEditor SetWeights(IEnumerable<long> rows, float weight)
    {
        var weightColumn = _schema.FirstOrDefault(kv => kv.Value is SampleWeightSchema).Key
            ?? throw new InvalidOperationException($"{_base.Url} has no weight column (SampleWeightSchema).");
        return SetValues(weightColumn, rows, weight);
    }

    /// <summary>Deletes rows.</summary>
    public TableEditor DeleteRows(IEnumerable<long> rows)
    {
        ArgumentNullException.ThrowIfNull(rows);
        var sorted = rows.Distinct().Order().ToList();
        if (sorted.Count > 0)
        {
            CheckRows(sorted[0], sorted[^1], "deleting rows");
        }
        var runs = RowRuns.FromSorted(sorted);
        foreach (var (start, count) in runs.Runs)
        {
            CheckRows(start, start + count - 1, "deleting rows");
            _deletes.Add((start, start + count - 1));
        }
        _summary.Add($"delete {runs.Count} row(s)");
        return this;
    }

    /// <summary>Adds a column; every row takes <paramref name="defaultValue"/> (null only for a nullable schema).</summary>
    public TableEditor AddColumn(string name, ColumnSchema schema, object? defaultValue = null)
    {
        ArgumentNullException.ThrowIfNull(schema);
        if (_schema.Contains(name))
        {
            throw new ArgumentException($"{_base.Url} already has a column '{name}'.", nameof(name));
        }
        _schema.Add(name, schema);
        _overrides[name] = SchemaJson.ToJson(schema);
        if (_base.RowCount > 0 && (defaultValue is not null || !schema.Nullable))
        {
            Assign(name, 0, _base.RowCount - 1, defaultValue ?? (schema as ScalarSchema)?.DefaultValue);
        }
        _summary.Add($"add column {name}");
        return this;
    }

    /// <summary>Deletes a column.</summary>
    public TableEditor DeleteColumn(string name)
    {
        if (!_schema.Remove(name))
        {
            throw new KeyNotFoundException($"{_base.Url} has no column '{name}'.");
        }
        _overrides[name] = null;
        _assignments.Remove(name);
        _summary.Add($"delete column {name}");
        return this;
    }

    /// <summary>Replaces the value map (class names) of a label column or of the elements of a label list column.</summary>
    public TableEditor SetValueMap(string column, ValueMap valueMap)
    {
        ArgumentNullException.ThrowIfNull(valueMap);
        var schema = _schema.Find(column) ?? throw new KeyNotFoundException($"{_base.Url} has no column '{column}'.");
        ColumnSchema updated = schema switch
        {
            CategoricalLabelSchema c => CopyCommon(c, new CategoricalLabelSchema(valueMap)),
            CategoricalLabelListSchema l => CopyCommon(l, new CategoricalLabelListSchema(valueMap)),
            SemanticSegmentationSchema s => CopyCommon(s, new SemanticSegmentationSchema(valueMap, s.ImageSampleType)),
            ScalarSchema s => s.WithValueMap(valueMap),
            _ => throw new ArgumentException($"Column '{column}' ({schema.Describe()}) has no value map to replace.", nameof(column)),
        };
        _schema[column] = updated;
        _overrides[column] = SchemaJson.ToJson(updated);
        _summary.Add($"value map of {column}");
        return this;
    }

    /// <summary>Sets the description of the new revision.</summary>
    public TableEditor Describe(string description)
    {
        _description = description;
        return this;
    }

    /// <summary>Publishes the revision and returns it.</summary>
    /// <exception cref="StaleRevisionException">The base is no longer the head of its lineage.</exception>
    public async Task<Table> CommitAsync(CancellationToken cancellationToken = default)
    {
        if (IsEmpty)
        {
            throw new InvalidOperationException("Nothing to commit: the edit is empty.");
        }
        var parent = _base.Object;
        var revision = new TableObject
        {
            Id = TableWriter.NewObjectId(),
            Project = parent.Project,
            Dataset = parent.Dataset,
            Created = TimeProvider.System.GetUtcNow(),
            Description = _description ?? parent.Description,
            Schema = _schema.ToJson(),
            Lineage = new Lineage
            {
                Kind = LineageKinds.Edit,
                Details = DerivedTables.Details(("summary", string.Join("; ", _summary))),
            },
            Revision = new RevisionInfo { Root = parent.Revision.Root, Generation = parent.Revision.Generation, Number = parent.Revision.Number + 1 },
            SchemaOverrides = _overrides.Count > 0 ? new Dictionary<string, JsonNode?>(_overrides) : null,
            Properties = parent.Properties,
        };
        var url = FileScanCatalog.RevisionUrl(_base.Url, revision);
        revision.Name = url.Name;
        revision.Lineage.Parents.Add(DerivedTables.ParentOf(url, _base));
        var written = new List<Tlc.Url>();
        try
        {
            foreach (var (column, assignments) in _assignments)
            {
                ColumnEdits edits;
                try
                {
                    edits = ColumnEdits.Build(column, _schema[column], assignments, _base.RowCount);
                }
                catch (RowValidationException e)
                {
                    throw new ArgumentException($"Edit of {_base.Url}, row {e.Row}, column '{e.Column}': {e.Problem}", e);
                }
                await DerivedTables.StoreEditsAsync(revision, url, column, _schema[column], edits, _base.RowCount, DenseBatchRows, _base.Adapters, written,
                    cancellationToken).ConfigureAwait(false);
            }
            long deleted = 0;
            if (_deletes.Count > 0)
            {
                var deletes = ColumnEdits.Build(DerivedTables.DeleteColumn, new BoolSchema(), _deletes.Select(d => (d.Start, d.End, (object?)true)), _base.RowCount);
                deleted = deletes.Runs.Sum(r => r.End - r.Start + 1);
                await DerivedTables.StoreEditsAsync(revision, url, DerivedTables.DeleteColumn, new BoolSchema(), deletes, _base.RowCount, DenseBatchRows,
                    _base.Adapters, written, cancellationToken).ConfigureAwait(false);
            }
            revision.RowCount = _base.RowCount - deleted;
            var published = await _catalog.PublishRevisionAsync(_base.Url, revision, cancellationToken).ConfigureAwait(false);
            return await Table.OpenAsync(published, _base.Adapters, cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            await DerivedTables.DeleteAsync(written, _base.Adapters).ConfigureAwait(false);
            throw;
        }
    }

    private void Assign(string column, long start, long end, object? value)
    {
        if (_schema.Find(column) is { } schema && StoredUrls.HoldsUrls(schema) && value is string or Url)
        {
            // Stored as a written value would be (relative inside the root); the revision is a sibling of its base.
            _storedUrls ??= new StoredUrls(_base.Url, _base.Aliases);
            value = _storedUrls.ToStored(value is Url url ? url.Value : (string)value);
        }
        if (!_assignments.TryGetValue(column, out var list))
        {
            _assignments[column] = list = [];
        }
        list.Add((start, end, value));
    }

    private ColumnSchema WritableColumn(string column)
    {
        var schema = _schema.Find(column) ?? throw new KeyNotFoundException($"{_base.Url} has no column '{column}'. Columns: {string.Join(", ", _schema.Names)}.");
        if (!schema.Writable)
        {
            throw new InvalidOperationException($"Column '{column}' of {_base.Url} is read-only ({schema.Describe()}).");
        }
        return schema;
    }

    private void CheckRows(long start, long end, string what)
    {
        if (start < 0 || end < start || end >= _base.RowCount)
        {
            throw new ArgumentOutOfRangeException(nameof(start),
                $"{what}: rows {start}..{end} are outside the rows 0..{_base.RowCount - 1} of {_base.Url}.");
        }
    }

    private static ColumnSchema CopyCommon(ColumnSchema from, ColumnSchema to) =>
        SchemaJson.FromJson(Merge(SchemaJson.ToJson(to), SchemaJson.ToJson(from)), "schema");

    private static JsonObject Merge(JsonObject target, JsonObject source)
    {
        foreach (var key in new[] { "display_name", "description", "writable", "hidden", "nullable" })
        {
            if (source[key] is { } v)
            {
                target[key] = v.DeepClone();
            }
        }
        return target;
    }
}
