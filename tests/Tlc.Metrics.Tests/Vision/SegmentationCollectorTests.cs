using System.Collections;
using Tlc.DataTypes;
using Tlc.Metrics.Segmentation;
using Tlc.Schemas;
using Tlc.Tables;
using Tlc.Tables.Import;
using Tlc.Tables.Samples;
using Tlc.Testing;
using static TorchSharp.torch;

namespace Tlc.Metrics.Tests.Vision;

public sealed class SegmentationCollectorTests : IDisposable
{
    private const int Classes = 21; // labelme's categories 0 (_background_) .. 20 (tv/monitor)
    private const int Person = 15, Bottle = 5, Bus = 6, Car = 7, Chair = 9, Dog = 12, Sofa = 18, Train = 19;
    private readonly TempRoot _root = new("segmentation");

    public void Dispose() => _root.Dispose();

    [Fact(Timeout = 120_000)]
    public async Task MaskRasterizer_LabelmePolygons_AgreeWithPointInPolygonAwayFromEdges()
    {
        using var table = await LabelmeData.ImportAsync(_root, CocoTask.Segment, TestContext.Current.CancellationToken);
        for (var row = 0; row < 3; row++)
        {
            var image = LabelmeData.Images[row];
            var skia = MaskRasterizer.ToClassMask((SegmentationPolygons)table[row]["segmentations"]!, background: 0);
            var independent = LabelmeData.ClassMask(image, out var onEdge, out var near);
            Assert.Equal((image.Width, image.Height), (skia.Width, skia.Height));
            var edge = 0;
            for (var i = 0; i < independent.Length; i++)
            {
                if (onEdge[i])
                {
                    edge++;
                    Assert.Contains(skia.Labels[i], near[i].Append(0).Append(independent[i]));
                }
                else
                {
                    Assert.True(independent[i] == skia.Labels[i], $"{image.FileName}: pixel ({i % image.Width}, {i / image.Width}) is {skia.Labels[i]}, expected {independent[i]}");
                }
            }
            var foreground = independent.Count(l => l != 0);
            Assert.InRange(edge, 0, foreground / 50); // the ambiguous pixels are few: under 2% of the annotated area
        }
    }

    [Fact(Timeout = 120_000)]
    public async Task Collect_PerturbedLabelmePredictions_PerClassIoUEqualsPixelCounts()
    {
        var ct = TestContext.Current.CancellationToken;
        using var table = await LabelmeData.ImportAsync(_root, CocoTask.Segment, ct);
        var collector = new SegmentationCollector();
        var columns = collector.Columns(table.Schema);
        var images = LabelmeData.Images;

        // The truth each test computation starts from: the independent rasterisation, where a pixel centre sits on an
        // edge taking the collector's decision (checked to be a plausible one by the test above).
        var truths = new int[3][];
        for (var row = 0; row < 3; row++)
        {
            truths[row] = LabelmeData.ClassMask(images[row], out var onEdge, out _);
            var skia = MaskRasterizer.ToClassMask((SegmentationPolygons)table[row]["segmentations"]!, 0);
            for (var i = 0; i < onEdge.Length; i++)
            {
                if (onEdge[i])
                {
                    truths[row][i] = skia.Labels[i];
                }
            }
        }
        // Perturbed predictions: image 0 shifted 12 px right, its bottle missed and a false car drawn; image 1 with its car
        // called a train; image 2 shifted 6 px down with its chair called a sofa.
        var predictions = new int[3][];
        predictions[0] = Shift(truths[0], images[0].Width, images[0].Height, dx: 12, dy: 0);
        Replace(predictions[0], Bottle, 0);
        FillRect(predictions[0], images[0].Width, 10, 10, 60, 40, Car);
        predictions[1] = (int[])truths[1].Clone();
        Replace(predictions[1], Car, Train);
        predictions[2] = Shift(truths[2], images[2].Width, images[2].Height, dx: 0, dy: 6);
        Replace(predictions[2], Chair, Sofa);

        var results = new List<IReadOnlyDictionary<string, IList>>();
        foreach (var rows in new[] { new[] { 0 }, new[] { 1, 2 } })
        {
            var w = images[rows[0]].Width;
            var h = images[rows[0]].Height;
            using var batch = Batch(table, rows);
            using var output = new PredictorOutput(OneHotLogits(rows.Select(r => predictions[r]).ToList(), w, h));
            results.Add(collector.Collect(batch, output));
        }
        var byRow = new[] { (results[0], 0), (results[1], 0), (results[1], 1) };

        for (var row = 0; row < 3; row++)
        {
            var (result, at) = byRow[row];
            var expected = ExpectedIoU(truths[row], predictions[row]);
            foreach (var (label, name) in LabelmeData.Categories)
            {
                var column = "iou_" + ClassColumnName(name);
                Assert.True(columns.ContainsKey(column), column);
                Assert.Equal(expected[label], (float?)result[column][at]);
            }
            var mean = expected.Values.Where(v => v.HasValue).Average(v => (double)v!.Value);
            Assert.Equal((float)mean, (float)result["mean_iou"][at]!, 6);
            // The stored prediction decodes back to the predicted mask (background = pixels no instance covers).
            var stored = SegmentationMasks.FromRowValue(result["predicted_mask"][at]);
            Assert.DoesNotContain(stored.Instances, m => m.Label == 0);
            Assert.Equal(predictions[row], MaskRasterizer.ToClassMask(stored, 0).Labels);
        }
        // Hand-checkable facts of the perturbations.
        Assert.Equal(0f, (float?)byRow[0].Item1["iou_bottle"][0]); // in the truth, not predicted
        Assert.Equal(0f, (float?)byRow[0].Item1["iou_car"][0]); // predicted, not in the truth
        Assert.Null((float?)byRow[0].Item1["iou_dog"][0]); // in neither
        Assert.Equal(1f, (float?)results[1]["iou_bus"][0]); // image 1's buses are exact
        Assert.Equal(0f, (float?)results[1]["iou_train"][0]);
        Assert.Equal(0f, (float?)results[1]["iou_chair"][1]);
        Assert.InRange((float)results[1]["iou_person"][1]!, 0.5f, 0.99f);

        // The columns are what a metrics table stores: write them and read them back.
        await using var writer = await TableWriter.CreateAsync(new TableWriterOptions
        {
            Schema = new TableSchema(columns.Prepend(new("example_id", new Int64Schema()))),
            Project = "p",
            Dataset = "metrics",
            Table = "segmentation",
            Root = _root.Url,
            Settings = _root.Settings,
            AddWeightColumn = false,
        }, ct);
        foreach (var (result, at) in byRow)
        {
            var values = result.ToDictionary(kv => kv.Key, kv => kv.Value[at]);
            values["example_id"] = (long)writer.RowCount;
            writer.AddRow(values);
        }
        using var metrics = await writer.FinalizeAsync(ct);
        Assert.Null(metrics.GetValue("iou_dog", 0));
        Assert.Equal(byRow[1].Item1["iou_bus"][0], metrics.GetValue("iou_bus", 1));
        Assert.Equal(predictions[2], MaskRasterizer.ToClassMask((SegmentationMasks)metrics[2]["predicted_mask"]!, 0).Labels);
    }

    [Fact(Timeout = 120_000)]
    public async Task Collect_SemanticMaskImage_HalfResolutionPrediction_IsUpsampledAndIgnoresBoundary()
    {
        var ct = TestContext.Current.CancellationToken;
        var image = LabelmeData.Images[0];
        var (w, h) = (image.Width, image.Height); // 500 × 338
        var truth = LabelmeData.ClassMask(image, out var onEdge, out _);
        // A VOC-style mask image: class ids, 255 on the boundary pixels.
        var pixels = truth.Select((l, i) => onEdge[i] ? (byte)255 : (byte)l).ToArray();
        var names = Enumerable.Range(0, Classes).Select(c => LabelmeData.Categories[c]).ToArray();
        await using var writer = await TableWriter.CreateAsync(new TableWriterOptions
        {
            Schema = new TableSchema { ["image"] = new ImageSchema(ImageSampleType.Url), ["mask"] = new SemanticSegmentationSchema(names) },
            Project = "p",
            Dataset = "semantic",
            Table = "t",
            Root = _root.Url,
            Settings = _root.Settings,
        }, ct);
        writer.AddRow(new Dictionary<string, object?> { ["image"] = image.Path, ["mask"] = new ImageSample(w, h, ImageColorType.Gray8, pixels) });
        using var table = await writer.FinalizeAsync(ct);
        Assert.IsType<ImageSample>(table[0]["mask"]);

        // The model predicts at half resolution: the truth sampled at even pixels, persons missed right of x = 300.
        var (hw, hh) = (w / 2, h / 2);
        var half = new long[hw * hh];
        for (var y = 0; y < hh; y++)
        {
            for (var x = 0; x < hw; x++)
            {
                var label = truth[(2 * y * w) + (2 * x)];
                half[(y * hw) + x] = label == Person && 2 * x >= 300 ? 0 : label;
            }
        }
        var collector = new SegmentationCollector();
        var columns = collector.Columns(table.Schema);
        Assert.Contains("iou_tv_monitor", columns.Keys);
        using var batch = Batch(table, [0]);
        using var output = new PredictorOutput(tensor(half, [1, hh, hw]));
        var result = collector.Collect(batch, output);

        // Nearest-neighbour upsampling by 2: pixel (x, y) takes half-resolution pixel (x / 2, y / 2).
        var upsampled = new int[w * h];
        for (var y = 0; y < h; y++)
        {
            for (var x = 0; x < w; x++)
            {
                upsampled[(y * w) + x] = (int)half[((y / 2) * hw) + (x / 2)];
            }
        }
        var ignored = truth.Select((l, i) => onEdge[i] ? -1 : l).ToArray();
        var expected = ExpectedIoU(ignored, upsampled);
        Assert.Equal(expected[Person], (float?)result["iou_person"][0]);
        Assert.Equal(expected[Bottle], (float?)result["iou_bottle"][0]);
        Assert.Equal(expected[0], (float?)result["iou_background"][0]);
        Assert.Null((float?)result["iou_car"][0]);
        Assert.Equal(upsampled, MaskRasterizer.ToClassMask(SegmentationMasks.FromRowValue(result["predicted_mask"][0]), 0).Labels);
    }

    [Fact(Timeout = 120_000)]
    public async Task Collect_RleRectangles_IoUEqualsAnalyticValues()
    {
        var ct = TestContext.Current.CancellationToken;
        // Image 0's two person boxes (COCO bbox x, y, w, h = 191, 107, 123, 221 and 365, 87, 135, 251) as RLE masks.
        var image = LabelmeData.Images[0];
        var (w, h) = (image.Width, image.Height);
        var boxes = image.Instances.Where(i => i.Label == Person).Select(i => i.Bbox.Select(v => (int)v).ToArray()).ToArray();
        Assert.Equal([191, 107, 123, 221], boxes[0]);
        Assert.Equal([365, 87, 135, 251], boxes[1]);
        var names = Enumerable.Range(0, Classes).Select(c => LabelmeData.Categories[c]).ToArray();
        var masks = SegmentationMasks.FromDense(w, h, boxes.Select(b => (Rect(w, h, b[0], b[1], b[0] + b[2], b[1] + b[3]), Person)));
        await using var writer = await TableWriter.CreateAsync(new TableWriterOptions
        {
            Schema = new TableSchema { ["masks"] = SegmentationMasks.Schema(names) },
            Project = "p",
            Dataset = "rle",
            Table = "t",
            Root = _root.Url,
            Settings = _root.Settings,
        }, ct);
        writer.AddRow(new Dictionary<string, object?> { ["masks"] = masks });
        using var table = await writer.FinalizeAsync(ct);

        // Prediction: box 1 exact, box 2 shifted 15 px left, a false dog box 40 × 30 at (20, 20).
        var prediction = new int[w * h];
        FillRect(prediction, w, 191, 107, 314, 328, Person);
        FillRect(prediction, w, 350, 87, 485, 338, Person);
        FillRect(prediction, w, 20, 20, 60, 50, Dog);
        var collector = new SegmentationCollector(ValueMap.FromClasses(names));
        collector.Columns(table.Schema);
        using var batch = Batch(table, [0]);
        using var output = new PredictorOutput(OneHotLogits([prediction], w, h));
        var result = collector.Collect(batch, output);

        double area = (123 * 221) + (135 * 251);
        double inter = (123 * 221) + (120 * 251);
        var person = inter / ((2 * area) - inter);
        double all = w * h, dog = 40 * 30;
        var background = (all - (area + (15 * 251) + dog)) / (all - inter);
        Assert.Equal((float)person, (float?)result["iou_person"][0]);
        Assert.Equal((float)background, (float?)result["iou_background"][0]);
        Assert.Equal(0f, (float?)result["iou_dog"][0]);
        Assert.Equal((float)(((float)person + (double)(float)background + 0) / 3), (float)result["mean_iou"][0]!, 6);
        Assert.Null((float?)result["iou_car"][0]);
    }

    [Fact]
    public void Columns_LabelmeClasses_AreCleanedNullableIoUs()
    {
        var names = Enumerable.Range(0, Classes).Select(c => LabelmeData.Categories[c]).ToArray();
        var collector = new SegmentationCollector();
        var columns = collector.Columns(new TableSchema { ["segmentations"] = SegmentationPolygons.Schema(names) });
        Assert.Equal(2 + Classes, columns.Count);
        Assert.IsType<AnnotationSchema>(columns["predicted_mask"]);
        Assert.Equal(SegmentationMasks.TypeName, columns["predicted_mask"].Type);
        foreach (var name in new[] { "mean_iou", "iou_background", "iou_tv_monitor", "iou_potted_plant", "iou_person" })
        {
            Assert.True(columns[name] is IoUSchema { Nullable: true }, name);
        }
    }

    [Fact]
    public void Collect_BeforeColumns_IsAnError()
    {
        using var batch = new SampleBatch([], [], zeros(0, 1));
        using var output = new PredictorOutput(zeros(0, 2, 4, 4));
        var e = Assert.Throws<InvalidOperationException>(() => new SegmentationCollector().Collect(batch, output));
        Assert.Contains("Columns(inputSchema) must be called before Collect", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Columns_NoGroundTruth_IsAnErrorNamingTheColumns()
    {
        var e = Assert.Throws<ArgumentException>(() => new SegmentationCollector().Columns(new TableSchema { ["image"] = new ImageSchema(ImageSampleType.Url) }));
        Assert.Contains("no segmentation ground truth", e.Message, StringComparison.Ordinal);
    }

    [Fact(Timeout = 120_000)]
    public async Task Collect_TruthClassMissingFromLabelMap_NamesTheExample()
    {
        using var table = await LabelmeData.ImportAsync(_root, CocoTask.Segment, TestContext.Current.CancellationToken);
        var collector = new SegmentationCollector(ValueMap.FromClasses(["background", "aeroplane"]));
        collector.Columns(table.Schema);
        using var batch = Batch(table, [0]);
        using var output = new PredictorOutput(zeros(1, 2, 338, 500));
        var e = Assert.Throws<FormatException>(() => collector.Collect(batch, output));
        Assert.Contains("Example 0", e.Message, StringComparison.Ordinal);
        Assert.Contains("class value 5", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Factory_Arguments_BuildTheCollector()
    {
        var factory = new SegmentationCollectorFactory();
        Assert.Equal("segmentation", factory.Name);
        var collector = (SegmentationCollector)factory.Create(new CollectorSpec("segmentation",
            """{"label_map": {"0": "sky", "3": "road"}, "truth_column": "gt", "background_class": null, "ignore_value": 254}"""));
        Assert.Equal([0L, 3L], collector.Options.LabelMap!.Keys);
        Assert.Equal(["gt"], collector.Options.TruthColumns);
        Assert.Null(collector.Options.BackgroundClass);
        Assert.Equal(254, collector.Options.IgnoreValue);
        var columns = collector.Columns(new TableSchema { ["gt"] = new ImageSchema() });
        Assert.Equal(["predicted_mask", "mean_iou", "iou_sky", "iou_road"], columns.Keys);

        var e = Assert.ThrowsAny<ArgumentException>(() => factory.Create(new CollectorSpec("segmentation", """{"labels": ["a"]}""")));
        Assert.Contains("unknown argument(s) 'labels'", e.Message, StringComparison.Ordinal);
    }

    private static string ClassColumnName(string name) => Collectors.ClassColumnNames.Clean(name);

    private static SampleBatch Batch(Table table, int[] rows) =>
        new(rows.Select(r => (long)r).ToArray(), rows.Select(r => table[r]).ToList(), zeros(rows.Length, 1));

    /// <summary>Logits that put 4 on the predicted class of each pixel and 0 elsewhere: [B, 21, H, W].</summary>
    private static Tensor OneHotLogits(IReadOnlyList<int[]> masks, int w, int h)
    {
        var plane = w * h;
        var data = new float[masks.Count * Classes * plane];
        for (var b = 0; b < masks.Count; b++)
        {
            for (var p = 0; p < plane; p++)
            {
                data[(((b * Classes) + masks[b][p]) * plane) + p] = 4f;
            }
        }
        return tensor(data, [masks.Count, Classes, h, w]);
    }

    /// <summary>Per-class IoU by counting pixels; truth -1 is ignored.</summary>
    private static Dictionary<int, float?> ExpectedIoU(int[] truth, int[] prediction)
    {
        var result = new Dictionary<int, float?>();
        for (var c = 0; c < Classes; c++)
        {
            long both = 0, either = 0;
            for (var i = 0; i < truth.Length; i++)
            {
                if (truth[i] == -1)
                {
                    continue;
                }
                var t = truth[i] == c;
                var p = prediction[i] == c;
                both += t && p ? 1 : 0;
                either += t || p ? 1 : 0;
            }
            result[c] = either == 0 ? null : (float)((double)both / either);
        }
        return result;
    }

    private static int[] Shift(int[] mask, int w, int h, int dx, int dy)
    {
        var shifted = new int[mask.Length];
        for (var y = 0; y < h; y++)
        {
            for (var x = 0; x < w; x++)
            {
                var sx = x - dx;
                var sy = y - dy;
                shifted[(y * w) + x] = sx >= 0 && sy >= 0 && sx < w && sy < h ? mask[(sy * w) + sx] : 0;
            }
        }
        return shifted;
    }

    private static void Replace(int[] mask, int from, int to)
    {
        for (var i = 0; i < mask.Length; i++)
        {
            if (mask[i] == from)
            {
                mask[i] = to;
            }
        }
    }

    private static void FillRect(int[] mask, int w, int x0, int y0, int x1, int y1, int label)
    {
        for (var y = y0; y < y1; y++)
        {
            for (var x = x0; x < x1; x++)
            {
                mask[(y * w) + x] = label;
            }
        }
    }

    private static byte[] Rect(int w, int h, int x0, int y0, int x1, int y1)
    {
        var mask = new byte[w * h];
        for (var y = y0; y < y1; y++)
        {
            for (var x = x0; x < x1; x++)
            {
                mask[(y * w) + x] = 1;
            }
        }
        return mask;
    }
}
