using System.Text.Json.Nodes;
using Tlc.Schemas;
using Tlc.Tables.Arrow;
using Tlc.Tables.Revisions;
using Tlc.Tables.Storage;
using Tlc.Tables.Urls;

namespace Tlc.Tables;

public sealed partial class Table
{
    /// <summary>
    /// A new table with the rows matching every predicate (in order). Only the kept row runs are stored; the predicates
    /// are recorded in its lineage.
    /// </summary>
    public async Task<Table> FilterAsync(IEnumerable<ColumnPredicate> predicates, DerivedTableOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(predicates);
        ArgumentNullException.ThrowIfNull(options);
        var list = predicates.ToList();
        var compiled = list.Select(p => (Column: Schema.IndexOf(p.Column) is >= 0 and var c ? c
            : throw new KeyNotFoundException($"{Url} has no column '{p.Column}' to filter on. Columns: {string.Join(", ", _names)}."),
            Test: p.Compile(Schema[p.Column]))).ToList();
        var kept = new List<long>();
        for (long row = 0; row < RowCount; row++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (compiled.All(p => p.Test(_data.GetValue(p.Column, row))))
            {
                kept.Add(row);
            }
        }
        var details = DerivedTables.Details(("predicates", new JsonArray(list.Select(p => (JsonNode)p.ToJson()).ToArray())));
        return await PublishDerivedAsync(LineageKinds.Filter, [this], RowRuns.FromSorted(kept), details, options, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>A new table with a seeded random fraction of the rows (kept in their original order).</summary>
    public Task<Table> SubsetAsync(double fraction, int seed, DerivedTableOptions options, CancellationToken cancellationToken = default)
    {
        if (fraction is < 0 or > 1 || double.IsNaN(fraction))
        {
            throw new ArgumentOutOfRangeException(nameof(fraction), fraction, "A subset fraction must be in [0, 1].");
        }
        var count = (long)Math.Round(fraction * RowCount);
        // Partial Fisher-Yates over row indices with a seeded generator: the same seed gives the same rows.
        var random = new Random(seed);
        var picked = new Dictionary<long, long>();
        var chosen = new long[count];
        for (long i = 0; i < count; i++)
        {
            var j = i + random.NextInt64(RowCount - i);
            var atJ = picked.TryGetValue(j, out var vj) ? vj : j;
            var atI = picked.TryGetValue(i, out var vi) ? vi : i;
            picked[j] = atI;
            chosen[i] = atJ;
        }
        System.Array.Sort(chosen);
        var details = DerivedTables.Details(("fraction", fraction), ("seed", seed));
        return PublishDerivedAsync(LineageKinds.Subset, [this], RowRuns.FromSorted(chosen), details, options, cancellationToken);
    }

    /// <summary>A new table with the rows of the given index ranges (start, count), ascending and not overlapping.</summary>
    public Task<Table> SubsetAsync(IEnumerable<(long Start, long Count)> ranges, DerivedTableOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(ranges);
        var list = ranges.ToList();
        foreach (var (start, count) in list)
        {
            if (start < 0 || count < 0 || start + count > RowCount)
            {
                throw new ArgumentOutOfRangeException(nameof(ranges), $"The range {start}+{count} is outside the rows 0..{RowCount - 1} of {Url}.");
            }
        }
        var details = DerivedTables.Details(("ranges", new JsonArray(list.Select(r => (JsonNode)new JsonArray(r.Start, r.Count)).ToArray())));
        return PublishDerivedAsync(LineageKinds.Subset, [this], new RowRuns(list), details, options, cancellationToken);
    }

    /// <summary>
    /// A new table with the rows of <paramref name="tables"/> one after another (a vertical join). The tables must have the
    /// same columns (by name, in any order) stored the same way; the first table's schema wins.
    /// </summary>
    public static Task<Table> JoinAsync(IReadOnlyList<Table> tables, DerivedTableOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(tables);
        if (tables.Count < 2)
        {
            throw new ArgumentException("A join needs at least two tables.", nameof(tables));
        }
        var first = tables[0];
        foreach (var other in tables.Skip(1))
        {
            var missing = first.Schema.Names.Except(other.Schema.Names).Concat(other.Schema.Names.Except(first.Schema.Names)).ToList();
            if (missing.Count > 0)
            {
                throw new ArgumentException($"Cannot join {other.Url} to {first.Url}: the columns differ ({string.Join(", ", missing)}).", nameof(tables));
            }
            foreach (var name in first.Schema.Names)
            {
                var a = ArrowSchemas.ToArrowType(first.Schema[name]);
                var b = ArrowSchemas.ToArrowType(other.Schema[name]);
                if (!ArrowSchemas.TypesEqual(a, b))
                {
                    throw new ArgumentException(
                        $"Cannot join {other.Url} to {first.Url}: column '{name}' is {ArrowSchemas.Describe(b)} there but {ArrowSchemas.Describe(a)} here.", nameof(tables));
                }
            }
        }
        return first.PublishDerivedAsync(LineageKinds.Join, tables, null, null, options, cancellationToken);
    }

    /// <summary>A new table holding this table's rows in its own chunks, without lineage to read through.</summary>
    public async Task<Table> SquashAsync(DerivedTableOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        await using var writer = await TableWriter.CreateAsync(new TableWriterOptions
        {
            Schema = Schema,
            TableUrl = Url.Parent.Join(Names.Validate(options.Name, "table")),
            IfExists = options.IfExists,
            AddWeightColumn = false,
            Description = options.Description ?? Object.Description,
            Adapters = Adapters,
            SampleTypes = SampleTypes,
            TimeProvider = options.TimeProvider,
            Lineage = new Lineage { Kind = LineageKinds.Squash, Details = DerivedTables.Details(("squashed_from", Url.Value), ("squashed_id", Object.Id)) },
        }, cancellationToken).ConfigureAwait(false);
        if (!writer.Reusing)
        {
            foreach (var batch in ScanBatches(cancellationToken))
            {
                writer.AddRecordBatch(batch);
            }
        }
        return await writer.FinalizeAsync(cancellationToken).ConfigureAwait(false);
    }

    private async Task<Table> PublishDerivedAsync(string kind, IReadOnlyList<Table> parents, RowRuns? rows, JsonObject? details,
        DerivedTableOptions options, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(options);
        var url = Url.Parent.Join(Names.Validate(options.Name, "table"));
        var generation = 0;
        if (await Adapters.ExistsAsync(TableLayout.ObjectFile(url), cancellationToken).ConfigureAwait(false))
        {
            switch (options.IfExists)
            {
                case IfExists.Raise:
                    throw new TableExistsException(url);
                case IfExists.Reuse:
                    return await OpenAsync(url, Adapters, cancellationToken).ConfigureAwait(false);
                case IfExists.Rename:
                    url = await TableWriter.FreeNameAsync(Adapters, url, cancellationToken).ConfigureAwait(false);
                    break;
                case IfExists.Overwrite:
                    var current = await Adapters.ReadAllBytesAsync(TableLayout.ObjectFile(url), cancellationToken).ConfigureAwait(false);
                    var old = ObjectFiles.Deserialize(current, url.Value);
                    generation = old.Revision.Generation + 1;
                    try
                    {
                        await Adapters.WriteAllBytesAsync(ObjectFiles.ArchivedObjectFile(url, old.Id), current, WriteMode.CreateNew, cancellationToken).ConfigureAwait(false);
                    }
                    catch (UrlAlreadyExistsException)
                    {
                        // Archived before.
                    }
                    break;
            }
        }
        var table = new TableObject
        {
            Id = TableWriter.NewObjectId(),
            Name = url.Name,
            Project = Object.Project,
            Dataset = Object.Dataset,
            Created = (options.TimeProvider ?? TimeProvider.System).GetUtcNow(),
            Description = options.Description,
            RowCount = rows?.Count ?? parents.Sum(p => p.RowCount),
            Schema = Schema.ToJson(),
            Lineage = new Lineage { Kind = kind, Parents = parents.Select(p => DerivedTables.ParentOf(url, p)).ToList(), Details = details },
            Revision = new RevisionInfo { Root = url.Name, Generation = generation },
        };
        var written = new List<Tlc.Url>();
        try
        {
            if (rows is not null)
            {
                await DerivedTables.StoreRowMapAsync(table, url, rows, Adapters, written, cancellationToken).ConfigureAwait(false);
            }
            await ObjectFiles.PublishAsync(Adapters, url, table, options.IfExists == IfExists.Overwrite ? WriteMode.Overwrite : WriteMode.CreateNew,
                cancellationToken).ConfigureAwait(false);
        }
        catch (UrlAlreadyExistsException)
        {
            await DerivedTables.DeleteAsync(written, Adapters).ConfigureAwait(false);
            throw new TableExistsException(url);
        }
        catch
        {
            await DerivedTables.DeleteAsync(written, Adapters).ConfigureAwait(false);
            throw;
        }
        return await OpenAsync(url, Adapters, cancellationToken).ConfigureAwait(false);
    }
}
