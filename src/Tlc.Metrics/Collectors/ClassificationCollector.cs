using System.Collections;
using Tlc.Schemas;
using static TorchSharp.torch;

namespace Tlc.Metrics;

/// <summary>
/// Per-sample classification metrics from logits (3LC's <c>ClassificationMetricsCollector</c>): <c>loss</c> (the loss of
/// each sample, cross entropy by default), <c>predicted</c> (the arg-max class), <c>accuracy</c> (1 when the prediction
/// equals the ground truth, else 0) and <c>confidence</c> (the largest softmax probability). Without a ground-truth
/// column in the input table only <c>predicted</c> and <c>confidence</c> are produced.
/// </summary>
/// <remarks>
/// Logit <c>j</c> of the model is the <c>j</c>-th class of <see cref="Classes"/> (in value order); <c>predicted</c> stores
/// that class's value. Ground truth is read from <see cref="LabelColumn"/>: when the input column has a value map its
/// labels are matched to <see cref="Classes"/> by class name (so a table whose classes are sorted differently from the
/// model's still scores correctly), otherwise label values are taken as values of <see cref="Classes"/>.
/// </remarks>
public sealed class ClassificationCollector : IMetricsCollector
{
    /// <summary>The ground-truth column read unless told otherwise.</summary>
    public const string DefaultLabelColumn = "label";

    private readonly Func<Tensor, Tensor, Tensor> _loss;
    private CachedMapping? _mapping;

    /// <summary>A collector for the classes <paramref name="classes"/> (model output order).</summary>
    /// <param name="classes">The class names in the order of the model's logits; null to take the label column's classes.</param>
    /// <param name="labelColumn">The ground-truth column of the input table.</param>
    /// <param name="loss">(logits [B, C], targets [B] int64) → per-sample losses [B]; default cross entropy.</param>
    public ClassificationCollector(IEnumerable<string>? classes = null, string labelColumn = DefaultLabelColumn, Func<Tensor, Tensor, Tensor>? loss = null)
        : this(classes is null ? null : ValueMap.FromClasses(classes), labelColumn, loss)
    {
    }

    /// <summary>A collector whose classes are a value map (logit j = the j-th entry in value order).</summary>
    /// <param name="classes">The value map; null to take the label column's.</param>
    /// <param name="labelColumn">The ground-truth column of the input table.</param>
    /// <param name="loss">(logits [B, C], targets [B] int64) → per-sample losses [B]; default cross entropy.</param>
    public ClassificationCollector(ValueMap? classes, string labelColumn = DefaultLabelColumn, Func<Tensor, Tensor, Tensor>? loss = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(labelColumn);
        if (classes is { Count: 0 })
        {
            throw new ArgumentException("A classification collector needs at least one class.", nameof(classes));
        }
        Classes = classes;
        LabelColumn = labelColumn;
        _loss = loss ?? CrossEntropy;
    }

    /// <summary>The classes in logit order, or null when they come from the input table's label column.</summary>
    public ValueMap? Classes { get; }

    /// <summary>The ground-truth column.</summary>
    public string LabelColumn { get; }

    /// <inheritdoc />
    public IReadOnlyList<int> Layers => [];

    /// <summary>Cross entropy of each sample: <c>-log softmax(logits)[target]</c>.</summary>
    public static Tensor CrossEntropy(Tensor logits, Tensor targets) =>
        nn.functional.cross_entropy(logits, targets, reduction: nn.Reduction.None);

    /// <inheritdoc />
    public IReadOnlyDictionary<string, ColumnSchema> Columns(TableSchema input)
    {
        ArgumentNullException.ThrowIfNull(input);
        var classes = ResolveClasses(input);
        var columns = new Dictionary<string, ColumnSchema>();
        var labelled = input.Contains(LabelColumn);
        if (labelled)
        {
            columns["loss"] = new Float32Schema();
        }
        columns["predicted"] = new CategoricalLabelSchema(classes);
        if (labelled)
        {
            columns["accuracy"] = new Float32Schema();
        }
        columns["confidence"] = new ConfidenceSchema();
        return columns;
    }

    /// <inheritdoc />
    public IReadOnlyDictionary<string, IList> Collect(SampleBatch batch, PredictorOutput output)
    {
        ArgumentNullException.ThrowIfNull(batch);
        ArgumentNullException.ThrowIfNull(output);
        var mapping = MappingFor(batch.Schema);
        using var scope = NewDisposeScope();
        var logits = output.Forward.detach().cpu().to(ScalarType.Float32);
        if (logits.dim() != 2 || logits.shape[0] != batch.Count)
        {
            throw new InvalidOperationException(
                $"Classification expects logits [batch, classes] = [{batch.Count}, {mapping.Values.Length}], got [{string.Join(", ", logits.shape)}].");
        }
        if (logits.shape[1] != mapping.Values.Length)
        {
            throw new InvalidOperationException(
                $"The model gives {logits.shape[1]} logits but the collector has {mapping.Values.Length} classes ({string.Join(", ", mapping.Names.Take(20))}).");
        }
        var (confidence, argmax) = softmax(logits, 1).max(1);
        var best = argmax.data<long>().ToArray();
        var predicted = new int[batch.Count];
        for (var i = 0; i < predicted.Length; i++)
        {
            predicted[i] = checked((int)mapping.Values[best[i]]);
        }
        var result = new Dictionary<string, IList>();
        if (mapping.Labelled)
        {
            var targets = new long[batch.Count];
            for (var i = 0; i < targets.Length; i++)
            {
                var sample = batch.Samples[i];
                targets[i] = mapping.TargetOf(sample.TryGetValue(LabelColumn, out var v) ? v : null, batch.ExampleIds[i], LabelColumn);
            }
            var loss = _loss(logits, tensor(targets)).to(ScalarType.Float32);
            if (loss.shape.Length != 1 || loss.shape[0] != batch.Count)
            {
                throw new InvalidOperationException($"The loss function must return one loss per sample ([{batch.Count}]), got [{string.Join(", ", loss.shape)}].");
            }
            var accuracy = new float[batch.Count];
            for (var i = 0; i < accuracy.Length; i++)
            {
                accuracy[i] = best[i] == targets[i] ? 1f : 0f;
            }
            result["loss"] = loss.data<float>().ToArray();
            result["predicted"] = predicted;
            result["accuracy"] = accuracy;
        }
        else
        {
            result["predicted"] = predicted;
        }
        result["confidence"] = confidence.data<float>().ToArray();
        return result;
    }

    private ValueMap ResolveClasses(TableSchema? input)
    {
        if (Classes is not null)
        {
            return Classes;
        }
        if (input?.Find(LabelColumn) is ScalarSchema { ValueMap: { Count: > 0 } map })
        {
            return map;
        }
        throw new InvalidOperationException(
            $"The classification collector has no classes: give them, or read a label column with classes ('{LabelColumn}' {(input?.Find(LabelColumn) is { } c ? $"is {c.Describe()} without classes" : "is not in the table")}).");
    }

    private LabelMapping MappingFor(TableSchema? schema)
    {
        if (_mapping is { } cached && ReferenceEquals(cached.Schema, schema))
        {
            return cached.Mapping; // one reference, read and written atomically: safe when runs share the collector
        }
        var classes = ResolveClasses(schema);
        var labelled = schema is null || schema.Contains(LabelColumn);
        var inputMap = (schema?.Find(LabelColumn) as ScalarSchema)?.ValueMap;
        var mapping = new LabelMapping(classes, inputMap, labelled);
        _mapping = new CachedMapping(schema, mapping);
        return mapping;
    }

    private sealed record CachedMapping(TableSchema? Schema, LabelMapping Mapping);

    /// <summary>Turns ground-truth values into logit indices.</summary>
    private sealed class LabelMapping
    {
        private readonly Dictionary<long, long> _byValue = [];
        private readonly Dictionary<string, long> _byName = new(StringComparer.Ordinal);
        private readonly ValueMap? _input;

        public LabelMapping(ValueMap classes, ValueMap? input, bool labelled)
        {
            Values = [.. classes.Keys];
            Names = classes.Names;
            Labelled = labelled;
            _input = input;
            for (var j = 0; j < Values.Length; j++)
            {
                _byValue[Values[j]] = j;
                _byName.TryAdd(Names[j], j);
            }
        }

        public long[] Values { get; }

        public IReadOnlyList<string> Names { get; }

        public bool Labelled { get; }

        public long TargetOf(object? label, long exampleId, string column)
        {
            switch (label)
            {
                case null:
                    throw new InvalidOperationException($"Row {exampleId}: the ground-truth column '{column}' is empty.");
                case string name:
                    return ByName(name, exampleId, column);
            }
            long value;
            try
            {
                value = Convert.ToInt64(label, System.Globalization.CultureInfo.InvariantCulture);
            }
            catch (Exception e) when (e is InvalidCastException or FormatException or OverflowException)
            {
                throw new InvalidOperationException($"Row {exampleId}: the ground-truth column '{column}' holds {label.GetType().Name}, not a class label.", e);
            }
            if (_input is not null)
            {
                return _input.TryGetValue(value, out var element)
                    ? ByName(element.InternalName, exampleId, column)
                    : throw new InvalidOperationException($"Row {exampleId}: label {value} of '{column}' is not in the column's value map.");
            }
            return _byValue.TryGetValue(value, out var j)
                ? j
                : throw new InvalidOperationException($"Row {exampleId}: label {value} of '{column}' is not a class of the collector (values: {string.Join(", ", Values.Take(20))}).");
        }

        private long ByName(string name, long exampleId, string column) =>
            _byName.TryGetValue(name, out var j)
                ? j
                : throw new InvalidOperationException($"Row {exampleId}: label '{name}' of '{column}' is not a class of the collector (classes: {string.Join(", ", Names.Take(20))}).");
    }
}
