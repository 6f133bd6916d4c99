using Apache.Arrow;
using Tlc.Schemas;
using Tlc.Tables;
using Table = Tlc.Tables.Table;

namespace Tlc.Metrics.Reduction;

/// <summary>
/// Reduces an <c>embeddings_*</c> column of a (metrics) table to 2-D or 3-D for scatter plots, by PCA (the default: exact,
/// deterministic, fitted on at most <see cref="EmbeddingReducerOptions.MaxFitRows"/> rows and streamed over every row batch
/// by batch) or by UMAP (as 3LC reduces: every non-null row embedded at once, deterministic for
/// <see cref="EmbeddingReducerOptions.Seed"/>); <see cref="EmbeddingReducerOptions.Method"/> picks. The result goes into a
/// new revision as <c>&lt;column&gt;_pca</c> or <c>&lt;column&gt;_umap</c> (<see cref="EmbeddingSchema"/> of 2 or 3).
/// </summary>
public static class EmbeddingReducer
{
    /// <summary>Reduces every row (fits the PCA and transforms, or embeds with UMAP); nothing is written (see <see cref="EmbeddingReduction.WriteAsync"/>).</summary>
    /// <exception cref="ArgumentException">No such column, not a list of float32, too few non-null rows, rows of different lengths, or non-finite values.</exception>
    /// <exception cref="ArgumentOutOfRangeException">An option out of its range (components, fit rows, neighbours, minimum distance, epochs, method).</exception>
    public static Task<EmbeddingReduction> ReduceAsync(Table table, string column, EmbeddingReducerOptions? options = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(table);
        ArgumentException.ThrowIfNullOrWhiteSpace(column);
        options ??= new EmbeddingReducerOptions();
        if (options.Components is not (2 or 3))
        {
            throw new ArgumentOutOfRangeException(nameof(options), options.Components, "An embedding reduces to 2 or 3 components.");
        }
        ArgumentOutOfRangeException.ThrowIfLessThan(options.MaxFitRows, options.Components + 1, nameof(options));
        if (!Enum.IsDefined(options.Method))
        {
            throw new ArgumentOutOfRangeException(nameof(options), options.Method, "The method is Pca or Umap.");
        }
        if (options.Neighbors < 2)
        {
            throw new ArgumentOutOfRangeException(nameof(options), options.Neighbors, "UMAP's neighbourhood counts the point itself and one neighbour at least: 2 or more.");
        }
        if (!(options.MinDistance is >= 0 and <= 1))
        {
            throw new ArgumentOutOfRangeException(nameof(options), options.MinDistance, "UMAP's minimum distance is between 0 and 1 (the spread).");
        }
        if (options.Epochs is < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(options), options.Epochs, "UMAP runs at least 1 epoch.");
        }
        var schema = table.Schema.Find(column)
            ?? throw new ArgumentException($"{table.Url} has no column '{column}'. Columns: {string.Join(", ", table.Schema.Names)}.", nameof(column));
        if (schema is not ListSchema { Element: ScalarSchema { Kind: ScalarKind.Float32 } })
        {
            throw new ArgumentException($"Column '{column}' of {table.Url} is {schema.Describe()}, not a list of float32 (an embedding).", nameof(column));
        }
        var output = options.OutputColumn ?? column + Suffix(options.Method);
        if (table.Schema.Contains(output))
        {
            throw new ArgumentException($"{table.Url} already has a column '{output}'.", nameof(options));
        }
        return Task.Run(() =>
        {
            if (options.Method == ReductionMethod.Umap)
            {
                return ReduceUmap(table, column, output, options, cancellationToken);
            }
            var n = table.RowCount;
            var pick = n <= options.MaxFitRows
                ? null
                : new HashSet<long>(Enumerable.Range(0, options.MaxFitRows).Select(i => (long)((double)i * n / options.MaxFitRows)));
            return Reduce(table, column, output, options, pick, cancellationToken);
        }, cancellationToken);
    }

    /// <summary>Reduces <paramref name="column"/> and publishes the new revision with the reduced column; returns it.</summary>
    public static async Task<Table> AddReducedColumnAsync(Table table, string column, EmbeddingReducerOptions? options = null,
        CancellationToken cancellationToken = default)
    {
        var reduction = await ReduceAsync(table, column, options, cancellationToken).ConfigureAwait(false);
        return await reduction.WriteAsync(table, cancellationToken).ConfigureAwait(false);
    }

    private static EmbeddingReduction Reduce(Table table, string column, string output, EmbeddingReducerOptions options, HashSet<long>? pick,
        CancellationToken cancellationToken)
    {
        var fit = new List<float[]>();
        foreach (var (row, vector) in Vectors(table, column, cancellationToken))
        {
            if (vector is not null && (pick is null || pick.Contains(row)))
            {
                fit.Add(vector);
            }
        }
        PcaModel model;
        try
        {
            model = PcaModel.Fit(fit, options.Components);
        }
        catch (ArgumentException e)
        {
            throw new ArgumentException($"Column '{column}' of {table.Url}: {e.Message}", nameof(column), e);
        }
        var values = new float[]?[table.RowCount];
        foreach (var (row, vector) in Vectors(table, column, cancellationToken))
        {
            if (vector is not null && vector.Length != model.Dimensions)
            {
                throw new ArgumentException($"Column '{column}' of {table.Url}, row {row}: {vector.Length} values; the fit rows have {model.Dimensions}.", nameof(column));
            }
            values[row] = vector is null ? null : model.Transform(vector);
        }
        return new EmbeddingReduction(column, output, ReductionMethod.Pca, options.Components,
            $"PCA of {column} ({options.Components}-D, fitted on {model.FitRows} rows).", values)
        {
            Model = model,
        };
    }

    /// <summary>The default output column's suffix of <paramref name="method"/>: <c>_pca</c> or <c>_umap</c>.</summary>
    public static string Suffix(ReductionMethod method) => method switch
    {
        ReductionMethod.Pca => "_pca",
        ReductionMethod.Umap => "_umap",
        _ => throw new ArgumentOutOfRangeException(nameof(method), method, "The method is Pca or Umap."),
    };

    private static EmbeddingReduction ReduceUmap(Table table, string column, string output, EmbeddingReducerOptions options, CancellationToken cancellationToken)
    {
        var rows = new List<long>();
        var vectors = new List<float[]>();
        foreach (var (row, vector) in Vectors(table, column, cancellationToken))
        {
            if (vector is null)
            {
                continue;
            }
            if (vectors.Count > 0 && vector.Length != vectors[0].Length)
            {
                throw new ArgumentException($"Column '{column}' of {table.Url}, row {row}: {vector.Length} values; row {rows[0]} has {vectors[0].Length}.", nameof(column));
            }
            for (var j = 0; j < vector.Length; j++)
            {
                if (!float.IsFinite(vector[j]))
                {
                    throw new ArgumentException($"Column '{column}' of {table.Url}, row {row}, value {j} is {vector[j]}.", nameof(column));
                }
            }
            rows.Add(row);
            vectors.Add(vector);
        }
        var n = vectors.Count;
        var d = n == 0 ? 0 : vectors[0].Length;
        if ((long)n * d > System.Array.MaxLength)
        {
            throw new ArgumentException($"Column '{column}' of {table.Url}: {n} rows of {d} values are more than UMAP holds in one array.", nameof(column));
        }
        var data = new float[n * d];
        for (var i = 0; i < n; i++)
        {
            vectors[i].CopyTo(data, i * d);
        }
        vectors.Clear();
        vectors.TrimExcess();
        UmapModel model;
        try
        {
            model = UmapModel.Fit(data, n, d, options, cancellationToken);
        }
        catch (ArgumentException e)
        {
            throw new ArgumentException($"Column '{column}' of {table.Url}: {e.Message}", nameof(column), e);
        }
        var values = new float[]?[table.RowCount];
        for (var i = 0; i < n; i++)
        {
            values[rows[i]] = model.Point(i);
        }
        var neighbours = model.ExactNeighbors ? "exact neighbours" : $"NN-descent neighbours ({model.NeighborIterations} iterations)";
        var description = string.Create(System.Globalization.CultureInfo.InvariantCulture,
            $"UMAP of {column} ({model.Components}-D, {n} rows, {model.Neighbors} neighbours, min_dist {options.MinDistance}, {model.Epochs} epochs, seed {options.Seed}, {neighbours}).");
        return new EmbeddingReduction(column, output, ReductionMethod.Umap, options.Components, description, values);
    }

    /// <summary>Each row's vector (null where the value is null), streamed batch by batch.</summary>
    private static IEnumerable<(long Row, float[]? Vector)> Vectors(Table table, string column, CancellationToken cancellationToken)
    {
        var index = table.Schema.IndexOf(column);
        long row = 0;
        foreach (var batch in table.ScanBatches(cancellationToken))
        {
            var array = batch.Column(index);
            for (var i = 0; i < array.Length; i++, row++)
            {
                yield return (row, Read(array, i));
            }
        }
    }

    private static float[]? Read(IArrowArray array, int i)
    {
        switch (array)
        {
            case FixedSizeListArray f:
            {
                if (f.IsNull(i))
                {
                    return null;
                }
                var size = ((Apache.Arrow.Types.FixedSizeListType)f.Data.DataType).ListSize;
                var values = (FloatArray)f.Values;
                return values.Values.Slice((f.Offset + i) * size, size).ToArray();
            }
            case ListArray l:
            {
                if (l.IsNull(i))
                {
                    return null;
                }
                var values = (FloatArray)l.Values;
                var start = l.ValueOffsets[i];
                return values.Values.Slice(start, l.ValueOffsets[i + 1] - start).ToArray();
            }
            default:
                throw new InvalidOperationException($"An embedding column is stored as {array.GetType().Name}, not a list array.");
        }
    }
}
