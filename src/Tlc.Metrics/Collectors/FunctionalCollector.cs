using System.Collections;
using Tlc.Schemas;

namespace Tlc.Metrics;

/// <summary>
/// A collector made of a function (3LC's <c>FunctionalMetricsCollector</c>): <c>(batch, output) → column → one value per
/// sample</c>, with the columns' schemas given up front. The function runs on the inference thread.
/// </summary>
public sealed class FunctionalCollector : IMetricsCollector
{
    private readonly Func<SampleBatch, PredictorOutput, IReadOnlyDictionary<string, IList>> _function;
    private readonly Dictionary<string, ColumnSchema> _schema;

    /// <summary>Wraps <paramref name="function"/>, whose keys must be exactly those of <paramref name="schema"/>.</summary>
    /// <param name="function">Computes the columns of a batch: each list has one value per sample, in batch order.</param>
    /// <param name="schema">The columns the function returns.</param>
    /// <param name="layers">Hidden layers the function reads from <see cref="PredictorOutput.HiddenLayers"/>.</param>
    public FunctionalCollector(
        Func<SampleBatch, PredictorOutput, IReadOnlyDictionary<string, IList>> function,
        IReadOnlyDictionary<string, ColumnSchema> schema,
        IEnumerable<int>? layers = null)
    {
        ArgumentNullException.ThrowIfNull(function);
        ArgumentNullException.ThrowIfNull(schema);
        if (schema.Count == 0)
        {
            throw new ArgumentException("A functional collector needs at least one column.", nameof(schema));
        }
        _function = function;
        _schema = schema.ToDictionary();
        Layers = (layers ?? []).Distinct().ToArray();
    }

    /// <inheritdoc />
    public IReadOnlyList<int> Layers { get; }

    /// <inheritdoc />
    public IReadOnlyDictionary<string, ColumnSchema> Columns(TableSchema input) => _schema;

    /// <inheritdoc />
    public IReadOnlyDictionary<string, IList> Collect(SampleBatch batch, PredictorOutput output)
    {
        ArgumentNullException.ThrowIfNull(batch);
        var result = _function(batch, output) ?? throw new InvalidOperationException("The metrics function returned null.");
        var missing = _schema.Keys.Where(k => !result.ContainsKey(k)).ToList();
        var extra = result.Keys.Where(k => !_schema.ContainsKey(k)).ToList();
        if (missing.Count > 0 || extra.Count > 0)
        {
            throw new InvalidOperationException(
                $"The metrics function returned columns that differ from its schema (missing: {string.Join(", ", missing)}; not in the schema: {string.Join(", ", extra)}).");
        }
        return result;
    }
}
