using Tlc.DataTypes;
using Tlc.Metrics;
using Tlc.Metrics.Segmentation;
using Tlc.Tables;
using Tlc.Tables.Urls;
using static TorchSharp.torch;

namespace Tlc.Workers.TestPlugin;

/// <summary>
/// Model factory <c>test-plugin-perturbed-segmenter</c>: a stand-in semantic segmentation model whose output for an image is
/// its ground-truth instance polygons perturbed by a generator seeded with the image's content (<see cref="ContentRandom"/>):
/// each instance shifted and rescaled about its box's centre, some missed, some given another class, spurious rectangles
/// of random classes added; painted in order over background 0 at the model's own resolution and given as one-hot logits
/// <c>[B, C, H, W]</c>, which the segmentation collector resizes (bilinearly) to each image and reads by arg-max.
/// </summary>
/// <remarks>
/// Arguments (all optional): <c>seed</c> (default 0), <c>truth_column</c> (default <c>segmentations</c>), <c>classes</c> (C,
/// default 21), <c>width</c> and <c>height</c> of the output (default 200 × 150). The weights file, when the spec names one,
/// is a JSON <see cref="PerturbationSettings"/> (<c>duplicate</c> is not used).
/// </remarks>
public sealed class PerturbedSegmenterFactory : IModelFactory
{
    public const string FactoryName = "test-plugin-perturbed-segmenter";

    public string Name => FactoryName;

    public IPredictor Create(ModelSpec spec, ModelContext context)
    {
        ArgumentNullException.ThrowIfNull(spec);
        var arguments = SpecArguments.Parse(spec.ArgumentsJson, $"model spec '{spec.Name}'", "seed", "truth_column", "classes", "width", "height");
        var seed = arguments.Int("seed") ?? 0;
        var column = arguments.String("truth_column") ?? "segmentations";
        var classes = arguments.Int("classes") ?? 21;
        var width = arguments.Int("width") ?? 200;
        var height = arguments.Int("height") ?? 150;
        var settings = PerturbationSettings.For(spec, context);
        return new PassThroughPredictor(sample =>
        {
            var mask = Segment(sample, column, classes, width, height, seed, settings, context.Adapters);
            var logits = new float[classes * width * height];
            for (var i = 0; i < mask.Labels.Length; i++)
            {
                logits[(mask.Labels[i] * width * height) + i] = 1f;
            }
            return tensor(logits, [classes, height, width]);
        });
    }

    /// <summary>The predicted class mask of one sample at the model's resolution.</summary>
    public static ClassMask Segment(TableRow sample, string truthColumn, int classes, int width, int height, long seed, PerturbationSettings settings, UrlAdapterRegistry adapters)
    {
        ArgumentNullException.ThrowIfNull(sample);
        ArgumentNullException.ThrowIfNull(settings);
                var value = Samples.Value(sample, truthColumn);
        var truth = value as SegmentationPolygons ?? SegmentationPolygons.FromRowValue(value);
        var random = new ContentRandom(Samples.ImageContent(sample, adapters), seed);
        var sx = width / (double)truth.ImageWidth;
        var sy = height / (double)truth.ImageHeight;
        var mask = ClassMask.Filled(width, height, 0);
        foreach (var instance in truth.Instances)
        {
            if (random.Next() < settings.Drop)
            {
                continue;
            }
            var label = random.Next() < settings.Swap ? (instance.Label % (classes - 1)) + 1 : instance.Label;
            var xs = instance.Polygons.SelectMany(p => p.Where((_, i) => i % 2 == 0)).ToArray();
            var ys = instance.Polygons.SelectMany(p => p.Where((_, i) => i % 2 == 1)).ToArray();
            if (xs.Length == 0)
            {
                continue;
            }
            double x0 = xs.Min(), x1 = xs.Max(), y0 = ys.Min(), y1 = ys.Max();
            var (cx, cy) = ((x0 + x1) / 2, (y0 + y1) / 2);
            var dx = random.Signed() * settings.Shift * (x1 - x0);
            var dy = random.Signed() * settings.Shift * (y1 - y0);
            var fx = Math.Exp(random.Signed() * settings.Scale);
            var fy = Math.Exp(random.Signed() * settings.Scale);
            var polygons = instance.Polygons.Select(p => (IReadOnlyList<float>)p.Select((v, i) => i % 2 == 0
                ? (float)((cx + ((v - cx) * fx) + dx) * sx)
                : (float)((cy + ((v - cy) * fy) + dy) * sy)).ToArray());
            mask.Paint(MaskRasterizer.Rasterize(polygons, width, height), label);
        }
        var spurious = random.Below(settings.Spurious + 1);
        for (var k = 0; k < spurious; k++)
        {
            var w = (int)(width * (0.05 + (0.2 * random.Next())));
            var h = (int)(height * (0.05 + (0.2 * random.Next())));
            var x = random.Below(width - w);
            var y = random.Below(height - h);
            var label = 1 + random.Below(classes - 1);
            for (var row = y; row < y + h; row++)
            {
                Array.Fill(mask.Labels, label, (row * width) + x, w);
            }
        }
        return mask;
    }
}
