using Apache.Arrow;
using Tlc.Schemas;
using Tlc.Tables;
using Table = Tlc.Tables.Table;

namespace Tlc.Metrics.Reduction;

/// <summary>
/// Reduces an <c>embeddings_*</c> column of a (metrics) table to 2-D or 3-D with PCA for scatter plots (3LC reduces with
/// UMAP/PaCMAP; PCA is exact, deterministic and needs no extra package). The fit reads at most
/// <see cref="EmbeddingReducerOptions.MaxFitRows"/> rows; the transform streams every row batch by batch. The result goes
/// into a new revision as <c>&lt;column&gt;_pca</c> (<see cref="EmbeddingSchema"/> of 2 or 3).
/// </summary>
public static class EmbeddingReducer
{
    /// <summary>Fits the PCA and transforms every row; nothing is written (see <see cref="EmbeddingReduction.WriteAsync"/>).</summary>
    /// <exception cref="ArgumentException">No such column, not a list of float32, too few non-null rows, or rows of different lengths.</exception>
    public static Task<EmbeddingReduction> ReduceAsync(Table table, string column, EmbeddingReducerOptions? options = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(table);
        ArgumentException.ThrowIfNullOrWhiteSpace(column);
        options ??= new EmbeddingReducerOptions();
        if (options.Components is not (2 or 3))
        {
            throw new ArgumentOutOfRangeException(nameof(options), options.Components, "PCA reduces to 2 or 3 components.");
        }
        ArgumentOutOfRangeException.ThrowIfLessThan(options.MaxFitRows, options.Components + 1, nameof(options));
        var schema = table.Schema.Find(column)
            ?? throw new ArgumentException($"{table.Url} has no column '{column}'. Columns: {string.Join(", ", table.Schema.Names)}.", nameof(column));
        if (schema is not ListSchema { Element: ScalarSchema { Kind: ScalarKind.Float32 } })
        {
            throw new ArgumentException($"Column '{column}' of {table.Url} is {schema.Describe()}, not a list of float32 (an embedding).", nameof(column));
        }
        var output = options.OutputColumn ?? column + "_pca";
        if (table.Schema.Contains(output))
        {
            throw new ArgumentException($"{table.Url} already has a column '{output}'.", nameof(options));
        }
        return Task.Run(() =>
        {
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
        return new EmbeddingReduction(column, output, model, values);
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
