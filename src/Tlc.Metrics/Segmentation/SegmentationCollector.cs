using System.Collections;
using Tlc.DataTypes;
using Tlc.Metrics.Collectors;
using Tlc.Schemas;
using Tlc.Tables;
using Tlc.Tables.Samples;
using Tlc.Tables.Urls;
using TorchSharp;
using static TorchSharp.torch;

namespace Tlc.Metrics.Segmentation;

/// <summary>
/// Semantic segmentation metrics (3LC's <c>SegmentationMetricsCollector(label_map)</c>). The model's forward output is
/// per-pixel class logits <c>[B, C, H, W]</c> (channel c = class value c; the predicted class is the arg-max) or a class-id
/// mask <c>[B, H, W]</c> / <c>[B, 1, H, W]</c>. A prediction whose size differs from the ground truth's is resized to it
/// first (logits bilinearly, masks by nearest neighbour), so metrics are always at the image's resolution.
/// </summary>
/// <remarks>
/// <para>Ground truth (see <see cref="SegmentationCollectorOptions.TruthColumns"/>): a semantic mask image (pixel value =
/// class value; <see cref="SegmentationCollectorOptions.IgnoreValue"/> pixels are ignored), or instance polygons / RLE
/// masks painted over <see cref="SegmentationCollectorOptions.BackgroundClass"/> (polygons rasterised by
/// <see cref="MaskRasterizer"/>).</para>
/// <para>Columns: <c>predicted_mask</c> — the prediction stored compactly as <see cref="SegmentationMasks"/>, one
/// column-major RLE per predicted class except the background (so a mostly-background image costs a few hundred
/// integers, stays inside the table's chunks and needs no bulk files); <c>mean_iou</c> — the mean of the defined
/// per-class IoUs; <c>iou_&lt;class&gt;</c> per class (names cleaned by <see cref="ClassColumnNames"/>), null when the class
/// is in neither the prediction nor the truth.</para>
/// <para><see cref="Columns"/> binds the collector to the input schema (it finds the truth columns and their kinds);
/// call it before <see cref="Collect"/>, as the batch runner does.</para>
/// </remarks>
public sealed class SegmentationCollector : IMetricsCollector
{
    /// <summary>The name of the mean IoU column.</summary>
    public const string MeanIoUColumn = "mean_iou";

    /// <summary>The prefix of the per-class IoU columns.</summary>
    public const string IoUColumnPrefix = "iou_";

    private readonly SegmentationCollectorOptions _options;
    private Binding? _binding;

    /// <summary>Creates the collector.</summary>
    /// <param name="labelMap">The classes; null takes them from the ground-truth column.</param>
    /// <param name="options">Further settings; defaults when null.</param>
    public SegmentationCollector(ValueMap? labelMap = null, SegmentationCollectorOptions? options = null)
    {
        _options = (options ?? new SegmentationCollectorOptions()) with { LabelMap = labelMap ?? options?.LabelMap };
        if (_options.LabelMap is { } map && map.Keys.Any(k => k is < 0 or > ushort.MaxValue))
        {
            throw new ArgumentException("Segmentation class values must lie in 0..65535: they index the logits' channels.", nameof(labelMap));
        }
    }

    /// <summary>The settings.</summary>
    public SegmentationCollectorOptions Options => _options;

    /// <inheritdoc />
    public IReadOnlyList<int> Layers => [];

    /// <inheritdoc />
    public IReadOnlyDictionary<string, ColumnSchema> Columns(TableSchema input)
    {
        ArgumentNullException.ThrowIfNull(input);
        var binding = Bind(input);
        _binding = binding;
        var columns = new Dictionary<string, ColumnSchema>(StringComparer.Ordinal)
        {
            [_options.PredictedMaskColumn] = SegmentationMasks.Schema(binding.Classes),
            [MeanIoUColumn] = new IoUSchema { Nullable = true, Description = "Mean of the defined per-class IoUs." },
        };
        foreach (var (value, name) in binding.IoUColumns)
        {
            columns.Add(name, new IoUSchema { Nullable = true, Description = $"IoU of class {value} ({binding.Classes[value].InternalName}); null when it is in neither the prediction nor the truth." });
        }
        return columns;
    }

    /// <inheritdoc />
    public IReadOnlyDictionary<string, IList> Collect(SampleBatch batch, PredictorOutput output)
    {
        ArgumentNullException.ThrowIfNull(batch);
        ArgumentNullException.ThrowIfNull(output);
        var binding = _binding ?? throw new InvalidOperationException(
            "SegmentationCollector.Columns(inputSchema) must be called before Collect: it finds the ground-truth columns.");
        var forward = output.Forward;
        if (forward.dim() is not (3 or 4) || forward.shape[0] != batch.Count)
        {
            throw new ArgumentException($"A segmentation output must be [B, C, H, W] logits or a [B, H, W] mask for a batch of {batch.Count}; got [{string.Join(", ", forward.shape)}].");
        }
        var classes = binding.Classes.Keys.Select(k => (int)k).ToArray();
        var masks = new List<object?>(batch.Count);
        var mean = new float?[batch.Count];
        var perClass = binding.IoUColumns.ToDictionary(kv => kv.Key, _ => new float?[batch.Count]);
        for (var i = 0; i < batch.Count; i++)
        {
            var truth = ReadTruth(binding, batch.Samples[i], batch.ExampleIds[i]);
            var prediction = PredictedMask(forward, i, truth.Width, truth.Height);
            var ious = SegmentationIoU.PerClass(truth, prediction, classes);
            foreach (var (value, values) in perClass)
            {
                values[i] = ious[(int)value];
            }
            mean[i] = SegmentationIoU.Mean(ious.Values);
            masks.Add(MaskRasterizer.ToSegmentationMasks(prediction, _options.BackgroundClass).ToRowValue());
        }
        var result = new Dictionary<string, IList>(StringComparer.Ordinal)
        {
            [_options.PredictedMaskColumn] = masks,
            [MeanIoUColumn] = mean,
        };
        foreach (var (value, name) in binding.IoUColumns)
        {
            result[name] = perClass[value];
        }
        return result;
    }

    /// <summary>
    /// The predicted class mask of sample <paramref name="index"/> of a forward output, resized to
    /// <paramref name="width"/> × <paramref name="height"/> (see the type's summary).
    /// </summary>
    public static ClassMask PredictedMask(Tensor forward, int index, int width, int height)
    {
        ArgumentNullException.ThrowIfNull(forward);
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var p = forward[index];
        Tensor labels;
        if (p.dim() == 3 && p.shape[0] > 1)
        {
            var logits = p.to(ScalarType.Float32);
            if (logits.shape[1] != height || logits.shape[2] != width)
            {
                logits = nn.functional.interpolate(logits.unsqueeze(0), size: [height, width], mode: InterpolationMode.Bilinear, align_corners: false).squeeze(0);
            }
            labels = logits.argmax(0);
        }
        else
        {
            var m = p.dim() == 3 ? p[0] : p;
            if (m.is_floating_point())
            {
                m = m.round();
            }
            if (m.shape[0] != height || m.shape[1] != width)
            {
                m = nn.functional.interpolate(m.to(ScalarType.Float32).unsqueeze(0).unsqueeze(0), size: [height, width], mode: InterpolationMode.Nearest).squeeze(0).squeeze(0);
            }
            labels = m;
        }
        var values = labels.to(ScalarType.Int32).cpu().contiguous().data<int>().ToArray();
        return new ClassMask(width, height, values);
    }

    private ClassMask ReadTruth(Binding binding, TableRow sample, long exampleId)
    {
        ClassMask? mask = null;
        foreach (var (column, kind) in binding.Truth)
        {
            if (!sample.TryGetValue(column, out var value))
            {
                throw new KeyNotFoundException($"Example {exampleId}: the sample has no ground-truth column '{column}'.");
            }
            try
            {
                mask = kind switch
                {
                    TruthKind.Image => ReadMaskImage(value),
                    TruthKind.Polygons => PaintOver(mask, Polygons(value)),
                    _ => PaintOver(mask, Masks(value)),
                };
            }
            catch (Exception e) when (e is FormatException or ArgumentException or IOException)
            {
                throw new FormatException($"Example {exampleId}, column '{column}': {e.Message}", e);
            }
        }
        var truth = mask ?? throw new InvalidOperationException("No ground-truth column is bound.");
        foreach (var label in truth.Present())
        {
            if (!binding.Classes.ContainsKey(label))
            {
                throw new FormatException($"Example {exampleId}: the ground truth has class value {label}, which the label map does not name.");
            }
        }
        return truth;
    }

    private ClassMask PaintOver(ClassMask? below, object annotation)
    {
        var top = annotation switch
        {
            SegmentationPolygons p => MaskRasterizer.ToClassMask(p, _options.BackgroundClass),
            SegmentationMasks m => MaskRasterizer.ToClassMask(m, _options.BackgroundClass),
            _ => throw new ArgumentException($"expected instance annotations, got {annotation.GetType().Name}"),
        };
        if (below is null)
        {
            return top;
        }
        if (below.Width != top.Width || below.Height != top.Height)
        {
            throw new FormatException($"the truth columns disagree on the image size ({below.Width}×{below.Height} vs {top.Width}×{top.Height})");
        }
        var fill = _options.BackgroundClass ?? ClassMask.Ignore;
        for (var i = 0; i < top.Labels.Length; i++)
        {
            if (top.Labels[i] != fill)
            {
                below.Labels[i] = top.Labels[i];
            }
        }
        return below;
    }

    private static SegmentationPolygons Polygons(object? value) => value switch
    {
        SegmentationPolygons p => p,
        null => throw new FormatException("the ground truth is null"),
        _ => SegmentationPolygons.FromRowValue(value),
    };

    private static SegmentationMasks Masks(object? value) => value switch
    {
        SegmentationMasks m => m,
        null => throw new FormatException("the ground truth is null"),
        _ => SegmentationMasks.FromRowValue(value),
    };

    private ClassMask ReadMaskImage(object? value)
    {
        var image = value switch
        {
            ImageSample s => s,
            byte[] bytes => ImageSample.Decode(bytes),
            string url => Load(new Url(url)),
            Url url => Load(url),
            null => throw new FormatException("the ground-truth mask is null"),
            _ => throw new FormatException($"expected a mask image, got {RowValues.Describe(value)}"),
        };
        var labels = new int[image.Width * image.Height];
        var pixels = image.Pixels;
        for (var i = 0; i < labels.Length; i++)
        {
            int v;
            if (image.ColorType == ImageColorType.Gray8)
            {
                v = pixels[i];
            }
            else
            {
                var o = i * 4;
                if (pixels[o] != pixels[o + 1] || pixels[o] != pixels[o + 2])
                {
                    throw new FormatException($"the mask image is not single-channel: pixel ({i % image.Width}, {i / image.Width}) is RGB {pixels[o]}, {pixels[o + 1]}, {pixels[o + 2]}");
                }
                v = pixels[o];
            }
            labels[i] = v == _options.IgnoreValue ? ClassMask.Ignore : v;
        }
        return new ClassMask(image.Width, image.Height, labels);
    }

    private ImageSample Load(Url url)
    {
        var adapters = _options.Adapters ?? UrlAdapterRegistry.Default;
        using var stream = adapters.OpenRead(url);
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        return ImageSample.Decode(copy.GetBuffer().AsSpan(0, (int)copy.Length), url.Value);
    }

    private Binding Bind(TableSchema input)
    {
        List<(string Column, TruthKind Kind)> truth;
        if (_options.TruthColumns is { Count: > 0 } named)
        {
            truth = named.Select(c => (c, KindOf(input.Find(c)
                ?? throw new KeyNotFoundException($"The input table has no ground-truth column '{c}'. Columns: {string.Join(", ", input.Names)}."))
                ?? throw new ArgumentException($"Column '{c}' ({input[c].Describe()}) is not a segmentation ground truth: expected a semantic mask image, segmentation polygons or segmentation masks."))).ToList();
        }
        else
        {
            var semantic = input.FirstOrDefault(kv => kv.Value is SemanticSegmentationSchema).Key;
            truth = semantic is not null
                ? [(semantic, TruthKind.Image)]
                : input.Select(kv => (kv.Key, Kind: KindOf(kv.Value))).Where(t => t.Kind is TruthKind.Polygons or TruthKind.Masks)
                    .Select(t => (t.Key, t.Kind!.Value)).ToList();
            if (truth.Count == 0)
            {
                throw new ArgumentException("The input table has no segmentation ground truth (a semantic_segmentation mask image, segmentation_polygons or segmentation_masks column); "
                    + $"name one with TruthColumns. Columns: {string.Join(", ", input.Names)}.");
            }
        }
        if (truth.Count(t => t.Kind == TruthKind.Image) > 0 && truth.Count > 1)
        {
            throw new ArgumentException("A mask-image ground truth cannot be combined with other truth columns.");
        }
        var classes = _options.LabelMap ?? truth.Select(t => ValueMapOf(input[t.Column])).FirstOrDefault(m => m is not null)
            ?? throw new ArgumentException($"The ground-truth column '{truth[0].Column}' names no classes: pass a label map.");
        if (classes.Count == 0)
        {
            throw new ArgumentException("The label map is empty.");
        }
        if (classes.Keys.Any(k => k is < 0 or > ushort.MaxValue))
        {
            throw new ArgumentException("Segmentation class values must lie in 0..65535: they index the logits' channels.");
        }
        var ioUColumns = ClassColumnNames.For(IoUColumnPrefix, classes);
        var clash = ioUColumns.Values.Append(MeanIoUColumn).FirstOrDefault(n => n == _options.PredictedMaskColumn);
        if (clash is not null)
        {
            throw new ArgumentException($"The predicted mask column '{clash}' clashes with an IoU column.");
        }
        return new Binding(truth, classes, ioUColumns);
    }

    private static TruthKind? KindOf(ColumnSchema schema) => schema switch
    {
        SemanticSegmentationSchema or ImageSchema => TruthKind.Image,
        AnnotationSchema { Type: SegmentationPolygons.TypeName } => TruthKind.Polygons,
        AnnotationSchema { Type: SegmentationMasks.TypeName } => TruthKind.Masks,
        _ => null,
    };

    private static ValueMap? ValueMapOf(ColumnSchema schema) => schema switch
    {
        AnnotationSchema a => a.Classes,
        ScalarSchema s => s.ValueMap,
        _ => null,
    };

    private enum TruthKind
    {
        Image,
        Polygons,
        Masks,
    }

    private sealed record Binding(IReadOnlyList<(string Column, TruthKind Kind)> Truth, ValueMap Classes, IReadOnlyDictionary<long, string> IoUColumns);
}
