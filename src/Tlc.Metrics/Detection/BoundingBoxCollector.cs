using System.Collections;
using System.Globalization;
using Tlc.DataTypes;
using Tlc.Schemas;
using Tlc.Tables;

namespace Tlc.Metrics.Detection;

/// <summary>
/// Object detection metrics (3LC's <c>BoundingBoxMetricsCollector(classes, iou_threshold=0.5)</c>). The model's forward
/// output is a <see cref="DetectionOutput"/> tensor <c>[B, N, 6]</c> of <c>(x0, y0, x1, y1, score, class)</c> rows padded with
/// score-0 rows. The ground truth is a <see cref="BoundingBoxes2D"/> column in any box format, normalised or not; both are
/// brought to corner boxes in pixels and matched greedily per class (<see cref="BoxMatching"/>).
/// </summary>
/// <remarks>
/// Columns: <c>predicted_bbs</c> — the kept detections as <see cref="BoundingBoxes2D"/> (xyxy, pixels, with confidence);
/// <c>tp</c>, <c>fp</c>, <c>fn</c> (int32) — matched detections, unmatched detections, unmatched truth boxes;
/// <c>mean_iou</c> — the mean IoU of the matched pairs, null when nothing matched. <see cref="Columns"/> binds the collector
/// to the input schema (truth column, box format); call it before <see cref="Collect"/>, as the batch runner does.
/// </remarks>
public sealed class BoundingBoxCollector : IMetricsCollector
{
    /// <summary>The true positives column.</summary>
    public const string TruePositivesColumn = "tp";

    /// <summary>The false positives column.</summary>
    public const string FalsePositivesColumn = "fp";

    /// <summary>The false negatives column.</summary>
    public const string FalseNegativesColumn = "fn";

    /// <summary>The mean IoU column.</summary>
    public const string MeanIoUColumn = "mean_iou";

    private readonly ValueMap? _classes;
    private Binding? _binding;

    /// <summary>Creates the collector.</summary>
    /// <param name="classes">The classes (label value → name); null takes them from the ground-truth column.</param>
    /// <param name="iouThreshold">
    /// The IoU at which a detection matches a truth box, in (0, 1]; an IoU equal to it matches. IoUs are computed in double
    /// precision and compared with this value as given: pass 0.3, not 0.3f (a float's value, 0.30000001…, would refuse a pair
    /// whose IoU is exactly 3/10).
    /// </param>
    /// <param name="options">Further settings; defaults when null.</param>
    public BoundingBoxCollector(ValueMap? classes = null, double iouThreshold = 0.5, BoundingBoxCollectorOptions? options = null)
    {
        if (!(iouThreshold is > 0 and <= 1))
        {
            throw new ArgumentOutOfRangeException(nameof(iouThreshold), iouThreshold, "The IoU threshold must lie in (0, 1].");
        }
        _classes = classes;
        IoUThreshold = iouThreshold;
        Options = options ?? new BoundingBoxCollectorOptions();
    }

    /// <summary>Creates the collector for classes 0..n-1 named <paramref name="classes"/>.</summary>
    public BoundingBoxCollector(IReadOnlyList<string> classes, double iouThreshold = 0.5, BoundingBoxCollectorOptions? options = null)
        : this(ValueMap.FromClasses(classes ?? throw new ArgumentNullException(nameof(classes))), iouThreshold, options)
    {
    }

    /// <summary>The IoU at which a detection matches (an IoU equal to it matches).</summary>
    public double IoUThreshold { get; }

    /// <summary>The settings.</summary>
    public BoundingBoxCollectorOptions Options { get; }

    /// <inheritdoc />
    public IReadOnlyList<int> Layers => [];

    /// <inheritdoc />
    public IReadOnlyDictionary<string, ColumnSchema> Columns(TableSchema input)
    {
        ArgumentNullException.ThrowIfNull(input);
        var column = Options.TruthColumn ?? input.FirstOrDefault(kv => kv.Value is AnnotationSchema { Type: BoundingBoxes2D.TypeName }).Key
            ?? throw new ArgumentException($"The input table has no bounding_boxes_2d column; name one with TruthColumn. Columns: {string.Join(", ", input.Names)}.");
        var schema = input.Find(column) as AnnotationSchema
            ?? throw new ArgumentException(input.Contains(column)
                ? $"Column '{column}' ({input[column].Describe()}) is not a bounding_boxes_2d column."
                : $"The input table has no ground-truth column '{column}'. Columns: {string.Join(", ", input.Names)}.");
        if (schema.Type != BoundingBoxes2D.TypeName)
        {
            throw new ArgumentException($"Column '{column}' is a {schema.Type} column, not bounding_boxes_2d.");
        }
        var classes = _classes ?? schema.Classes ?? throw new ArgumentException($"Column '{column}' names no classes: pass them.");
        _binding = new Binding(column, BoxFormats.Parse(schema.Attribute("box_format", "xyxy")), schema.Attribute("normalized", "false") == "true", classes);
        return new Dictionary<string, ColumnSchema>(StringComparer.Ordinal)
        {
            [Options.PredictedColumn] = BoundingBoxes2D.Schema(classes, BoxFormat.Xyxy, normalized: false, includeConfidence: true),
            [TruePositivesColumn] = new Int32Schema { Description = string.Create(CultureInfo.InvariantCulture, $"Detections matching a truth box at IoU ≥ {IoUThreshold}.") },
            [FalsePositivesColumn] = new Int32Schema { Description = "Detections matching no truth box." },
            [FalseNegativesColumn] = new Int32Schema { Description = "Truth boxes no detection matched." },
            [MeanIoUColumn] = new IoUSchema { Nullable = true, Description = "Mean IoU of the matched pairs; null when nothing matched." },
        };
    }

    /// <inheritdoc />
    public IReadOnlyDictionary<string, IList> Collect(SampleBatch batch, PredictorOutput output)
    {
        ArgumentNullException.ThrowIfNull(batch);
        ArgumentNullException.ThrowIfNull(output);
        var binding = _binding ?? throw new InvalidOperationException(
            "BoundingBoxCollector.Columns(inputSchema) must be called before Collect: it finds the ground-truth column and its box format.");
        if (output.Forward.shape.Length == 0 || output.Forward.shape[0] != batch.Count)
        {
            throw new ArgumentException($"The detection output has shape [{string.Join(", ", output.Forward.shape)}] for a batch of {batch.Count}.");
        }
        var detections = DetectionOutput.FromTensor(output.Forward, Options.ScoreThreshold);
        var predicted = new List<object?>(batch.Count);
        var tp = new int[batch.Count];
        var fp = new int[batch.Count];
        var fn = new int[batch.Count];
        var mean = new float?[batch.Count];
        for (var i = 0; i < batch.Count; i++)
        {
            var truth = ReadTruth(binding, batch.Samples[i], batch.ExampleIds[i]);
            var boxes = detections[i].Select(d =>
            {
                if (!binding.Classes.ContainsKey(d.Label))
                {
                    throw new ArgumentException($"Example {batch.ExampleIds[i]}: a detection has class {d.Label}, which the classes do not name.");
                }
                return Options.Coordinates == DetectionCoordinates.Normalized
                    ? BoxGeometry.ToXyxyPixels(d, BoxFormat.Xyxy, normalized: true, truth.ImageWidth, truth.ImageHeight)
                    : d;
            }).ToList();
            var match = BoxMatching.Match(boxes, truth.Boxes, IoUThreshold);
            tp[i] = match.TruePositives;
            fp[i] = match.FalsePositives;
            fn[i] = match.FalseNegatives;
            mean[i] = match.MeanIoU is { } m ? (float)m : null;
            predicted.Add(new BoundingBoxes2D(truth.ImageWidth, truth.ImageHeight, boxes).ToRowValue());
        }
        return new Dictionary<string, IList>(StringComparer.Ordinal)
        {
            [Options.PredictedColumn] = predicted,
            [TruePositivesColumn] = tp,
            [FalsePositivesColumn] = fp,
            [FalseNegativesColumn] = fn,
            [MeanIoUColumn] = mean,
        };
    }

    /// <summary>The ground truth of a sample as corner boxes in pixels.</summary>
    private static BoundingBoxes2D ReadTruth(Binding binding, TableRow sample, long exampleId)
    {
        if (!sample.TryGetValue(binding.Column, out var value))
        {
            throw new KeyNotFoundException($"Example {exampleId}: the sample has no ground-truth column '{binding.Column}'.");
        }
        BoundingBoxes2D boxes;
        try
        {
            boxes = value switch
            {
                BoundingBoxes2D b => b,
                null => throw new FormatException("the ground truth is null"),
                _ => BoundingBoxes2D.FromRowValue(value),
            };
        }
        catch (FormatException e)
        {
            throw new FormatException($"Example {exampleId}, column '{binding.Column}': {e.Message}", e);
        }
        return boxes with
        {
            Boxes = boxes.Boxes.Select(b => BoxGeometry.ToXyxyPixels(b, binding.Format, binding.Normalized, boxes.ImageWidth, boxes.ImageHeight)).ToList(),
        };
    }

    private sealed record Binding(string Column, BoxFormat Format, bool Normalized, ValueMap Classes);
}
