using System.Collections;
using Tlc.Schemas;

namespace Tlc;

/// <summary>Column schemas of metrics: inferred from values in hand, and the system columns every metrics table has.</summary>
public static class MetricsSchemas
{
    /// <summary>The schema of <paramref name="columns"/> from their element types (float → float32, vectors → embeddings, ...).</summary>
    public static TableSchema Infer(IReadOnlyDictionary<string, IList> columns)
    {
        ArgumentNullException.ThrowIfNull(columns);
        var schema = new TableSchema();
        foreach (var (name, values) in columns)
        {
            schema.Add(name, Infer(name, values));
        }
        return schema;
    }

    private static ColumnSchema Infer(string name, IList values)
    {
        var first = values.Cast<object?>().FirstOrDefault(v => v is not null);
        var nullable = values.Cast<object?>().Any(v => v is null);
        ColumnSchema schema = first switch
        {
            null => new Float32Schema(),
            float => new Float32Schema(),
            double => new Float64Schema(),
            int => name == "epoch" ? new EpochSchema() : new Int32Schema(),
            long => new Int64Schema(),
            bool => new BoolSchema(),
            string => new StringSchema(),
            float[] f => new EmbeddingSchema(values.Cast<object?>().All(v => v is float[] a && a.Length == f.Length) ? f.Length : null),
            double[] => new ListSchema(new Float64Schema()),
            int[] => new ListSchema(new Int32Schema()),
            _ => throw new ArgumentException($"Cannot infer a schema for metrics column '{name}' of {first.GetType().Name}: pass a schema."),
        };
        return nullable ? schema.AsNullable() : schema;
    }

    /// <summary>The schema of a constant column holding <paramref name="value"/>.</summary>
    public static ColumnSchema Constant(string name, object? value) => value switch
    {
        int when name == "epoch" => new EpochSchema(),
        long when name == "epoch" => new EpochSchema(),
        int => new Int32Schema(),
        long => new Int64Schema(),
        float => new Float32Schema(),
        double => new Float64Schema(),
        bool => new BoolSchema(),
        string => new StringSchema(),
        _ => throw new ArgumentException($"The constant '{name}' is {value?.GetType().Name ?? "null"}; constants are numbers, bools or strings."),
    };

    /// <summary>The full metrics table schema: <c>example_id</c>, the columns, then the constants.</summary>
    public static TableSchema WithSystemColumns(TableSchema columns, IReadOnlyDictionary<string, object?>? constants)
    {
        ArgumentNullException.ThrowIfNull(columns);
        var schema = new TableSchema { ["example_id"] = new ExampleIdSchema() };
        foreach (var (name, column) in columns)
        {
            if (name != "example_id")
            {
                schema.Add(name, column);
            }
        }
        foreach (var (name, value) in constants ?? new Dictionary<string, object?>())
        {
            if (schema.Contains(name))
            {
                throw new ArgumentException($"The constant '{name}' has the name of a metrics column.", nameof(constants));
            }
            schema.Add(name, Constant(name, value));
        }
        return schema;
    }
}

/// <summary>Options of a <see cref="MetricsTableWriter"/>.</summary>
public sealed class MetricsWriterOptions
{
    /// <summary>Rows per chunk file (each chunk is committed through the sink as it fills). Default: 65,536.</summary>
    public int ChunkRows { get; init; } = 65_536;

    /// <summary>Require every row of the foreign table exactly once at publication. Default: false (each at most once).</summary>
    public bool RequireFullCoverage { get; init; }

    /// <summary>Chunk compression: none, lz4 or zstd. Default: none.</summary>
    public string Compression { get; init; } = "none";
}
