using Tlc.DataTypes;
using Tlc.Metrics;
using Tlc.Metrics.Detection;
using Tlc.Tables;
using Tlc.Tables.Urls;
using static TorchSharp.torch;

namespace Tlc.Workers.TestPlugin;

/// <summary>
/// Model factory <c>test-plugin-perturbed-detector</c>: a stand-in detector whose output for an image is its ground-truth boxes
/// perturbed by a generator seeded with the image's content (<see cref="ContentRandom"/>): each box shifted and rescaled, some
/// missed, some given another class, some detected twice, spurious boxes added, every detection with a confidence on a
/// 0.05 grid, in shuffled order. The output is <see cref="DetectionOutput"/>'s <c>[B, N, 6]</c> tensor in pixels.
/// </summary>
/// <remarks>
/// Arguments (all optional): <c>seed</c> (default 0), <c>truth_column</c> (default <c>bbs</c>), <c>box_format</c> of that
/// column (default <c>xywh</c>, COCO's), <c>max_detections</c> (the N of the output, default 32), <c>exact_iou</c>
/// (<c>[p, q]</c>: adds a detection of confidence 1 whose IoU with the image's first truth box is exactly p/q, when that box
/// has whole-pixel corners — a probe of the threshold's "at least"). The weights file, when the spec names one, is a JSON
/// <see cref="PerturbationSettings"/>.
/// </remarks>
public sealed class PerturbedDetectorFactory : IModelFactory
{
    public const string FactoryName = "test-plugin-perturbed-detector";

    public string Name => FactoryName;

    public IPredictor Create(ModelSpec spec, ModelContext context)
    {
        ArgumentNullException.ThrowIfNull(spec);
        var arguments = SpecArguments.Parse(spec.ArgumentsJson, $"model spec '{spec.Name}'", "seed", "truth_column", "box_format", "max_detections", "exact_iou");
        var seed = arguments.Int("seed") ?? 0;
        var column = arguments.String("truth_column") ?? "bbs";
        var format = BoxFormats.Parse(arguments.String("box_format") ?? "xywh");
        var max = arguments.Int("max_detections") ?? 32;
        var exact = arguments.Ints("exact_iou");
        if (exact is not null && (exact.Length != 2 || exact[0] <= 0 || exact[1] < exact[0]))
        {
            throw new ArgumentException($"model spec '{spec.Name}': exact_iou must be [p, q] with 0 < p ≤ q.");
        }
        var settings = PerturbationSettings.For(spec, context);
        return new PassThroughPredictor(sample =>
        {
            var detections = Detect(sample, column, format, seed, settings, context.Adapters);
            if (exact is not null && Probe(sample, column, format, exact[0], exact[1]) is { } probe)
            {
                detections.Insert(0, probe);
            }
            if (detections.Count > max)
            {
                detections = detections.Take(max).ToList();
            }
            var rows = new float[max * DetectionOutput.RowWidth];
            for (var k = 0; k < detections.Count; k++)
            {
                var d = detections[k];
                var o = k * DetectionOutput.RowWidth;
                (rows[o], rows[o + 1], rows[o + 2], rows[o + 3], rows[o + 4], rows[o + 5]) = (d.X0, d.Y0, d.X1, d.Y1, d.Confidence!.Value, d.Label);
            }
            return tensor(rows, [max, DetectionOutput.RowWidth]);
        });
    }

    /// <summary>The detections of one sample: corner boxes in pixels, with confidences.</summary>
    public static List<BoundingBox2D> Detect(TableRow sample, string truthColumn, BoxFormat format, long seed, PerturbationSettings settings, UrlAdapterRegistry adapters)
    {
        ArgumentNullException.ThrowIfNull(sample);
        ArgumentNullException.ThrowIfNull(settings);
                var value = Samples.Value(sample, truthColumn);
        var truth = value as BoundingBoxes2D ?? BoundingBoxes2D.FromRowValue(value);
        var random = new ContentRandom(Samples.ImageContent(sample, adapters), seed);
        float width = truth.ImageWidth, height = truth.ImageHeight;
        var boxes = truth.Boxes.Select(b => BoxGeometry.ToXyxyPixels(b, format, normalized: false, truth.ImageWidth, truth.ImageHeight)).ToList();
        var detections = new List<BoundingBox2D>();
        foreach (var box in boxes)
        {
            if (random.Next() < settings.Drop)
            {
                continue;
            }
            var label = random.Next() < settings.Swap ? (box.Label % 20) + 1 : box.Label;
            detections.Add(Jitter(box, label, settings.Shift, settings.Scale, random, width, height));
            if (random.Next() < settings.Duplicate)
            {
                detections.Add(Jitter(box, box.Label, settings.Shift / 3, settings.Scale / 3, random, width, height));
            }
        }
        var labels = boxes.Select(b => b.Label).Distinct().Order().ToArray();
        var spurious = labels.Length == 0 ? 0 : random.Below(settings.Spurious + 1);
        for (var k = 0; k < spurious; k++)
        {
            var w = width * (0.1 + (0.3 * random.Next()));
            var h = height * (0.1 + (0.3 * random.Next()));
            var x = (width - w) * random.Next();
            var y = (height - h) * random.Next();
            detections.Add(new BoundingBox2D((float)x, (float)y, (float)(x + w), (float)(y + h), labels[random.Below(labels.Length)]) { Confidence = random.Confidence() });
        }
        // Shuffled, so that the output's order says nothing about the boxes' scores or their truth.
        for (var i = detections.Count - 1; i > 0; i--)
        {
            var j = random.Below(i + 1);
            (detections[i], detections[j]) = (detections[j], detections[i]);
        }
        return detections;
    }

    /// <summary>
    /// A box of the first truth box's class and rows whose IoU with it is exactly <paramref name="p"/>/<paramref name="q"/>
    /// (confidence 1): it starts s px right of the truth's left edge and is w' wide, so IoU = (w − s) / (s + w'); s is the
    /// least with q(w − s) divisible by p, w' = q(w − s)/p − s. Null when the box's corners are not whole pixels.
    /// </summary>
    public static BoundingBox2D? Probe(TableRow sample, string truthColumn, BoxFormat format, int p, int q)
    {
        ArgumentNullException.ThrowIfNull(sample);
        var value = Samples.Value(sample, truthColumn);
        var truth = value as BoundingBoxes2D ?? BoundingBoxes2D.FromRowValue(value);
        if (truth.Boxes.Count == 0)
        {
            return null;
        }
        var box = BoxGeometry.ToXyxyPixels(truth.Boxes[0], format, normalized: false, truth.ImageWidth, truth.ImageHeight);
        if (new[] { box.X0, box.Y0, box.X1, box.Y1 }.Any(v => v != MathF.Floor(v)) || box.X1 <= box.X0)
        {
            return null;
        }
        var w = (long)(box.X1 - box.X0);
        var s = 0L;
        while (q * (w - s) % p != 0)
        {
            s++;
        }
        var width = (q * (w - s) / p) - s;
        return s >= w || width < w - s ? null : new BoundingBox2D(box.X0 + s, box.Y0, box.X0 + s + width, box.Y1, box.Label) { Confidence = 1f };
    }

    private static BoundingBox2D Jitter(BoundingBox2D box, int label, double shift, double scale, ContentRandom random, float width, float height)
    {
        double w = box.X1 - box.X0, h = box.Y1 - box.Y0;
        var cx = box.X0 + (w / 2) + (random.Signed() * shift * w);
        var cy = box.Y0 + (h / 2) + (random.Signed() * shift * h);
        w *= Math.Exp(random.Signed() * scale);
        h *= Math.Exp(random.Signed() * scale);
        var x0 = Math.Clamp(cx - (w / 2), 0, width);
        var y0 = Math.Clamp(cy - (h / 2), 0, height);
        var x1 = Math.Clamp(cx + (w / 2), 0, width);
        var y1 = Math.Clamp(cy + (h / 2), 0, height);
        return new BoundingBox2D((float)x0, (float)y0, (float)x1, (float)y1, label) { Confidence = random.Confidence() };
    }
}
