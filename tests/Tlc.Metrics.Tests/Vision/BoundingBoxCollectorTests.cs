using System.Collections;
using Tlc.DataTypes;
using Tlc.Metrics.Detection;
using Tlc.Schemas;
using Tlc.Tables;
using Tlc.Tables.Import;
using Tlc.Testing;
using static TorchSharp.torch;

namespace Tlc.Metrics.Tests.Vision;

public sealed class BoundingBoxCollectorTests : IDisposable
{
    private const int Person = 15, Bottle = 5, Bus = 6, Car = 7, Chair = 9, Sofa = 18;
    private readonly TempRoot _root = new("boxes");

    public void Dispose() => _root.Dispose();

    /// <summary>
    /// Perturbed detections of the labelme photos in pixels (x0, y0, x1, y1), by file name, and the hand-computed outcome.
    /// 2011_000003: person A shifted 10 px right (IoU 113/133), person B missed, the bottle exact, a false car.
    /// 2011_000025: bus 1 shifted 40 px down (IoU 315/395), the car called a bus (IoU ≤ 0.02 with any bus), bus 2 shifted
    /// 80 px right (IoU 29/189 &lt; 0.5). 2011_000006: all six exact plus a higher-scoring duplicate of the first person
    /// shifted 2 px (IoU 149/153), which takes that person and leaves the exact box a false positive.
    /// </summary>
    private static readonly Dictionary<string, (BoundingBox2D[] Detections, int Tp, int Fp, int Fn, double? MeanIoU)> Cases = new()
    {
        ["2011_000003.jpg"] = (
            [Box(201, 107, 324, 328, Person, 0.9f), Box(369, 159, 388, 213, Bottle, 0.8f), Box(10, 10, 60, 40, Car, 0.7f)],
            2, 1, 1, ((113.0 / 133) + 1) / 2),
        ["2011_000025.jpg"] = (
            [Box(81, 60, 434, 415, Bus, 0.9f), Box(408, 168, 498, 259, Bus, 0.7f), Box(80, 96, 189, 284, Bus, 0.6f)],
            1, 2, 2, 315.0 / 395),
        ["2011_000006.jpg"] = (
            [Box(94, 108, 245, 330, Person, 0.95f), Box(92, 108, 243, 330, Person, 0.9f), Box(170, 109, 309, 279, Person, 0.85f),
             Box(252, 115, 372, 292, Person, 0.8f), Box(149, 193, 499, 375, Chair, 0.75f), Box(400, 82, 449, 115, Person, 0.7f),
             Box(18, 140, 478, 312, Sofa, 0.65f)],
            6, 1, 0, ((149.0 / 153) + 5) / 6),
    };

    [Fact(Timeout = 120_000)]
    public async Task Collect_PerturbedLabelmeDetections_CountsAndIoUEqualHandComputedValues()
    {
        var ct = TestContext.Current.CancellationToken;
        using var table = await LabelmeData.ImportAsync(_root, CocoTask.Detect, ct);
        Assert.Equal("xywh", ((AnnotationSchema)table.Schema["bbs"]).Attribute("box_format"));
        var collector = new BoundingBoxCollector(iouThreshold: 0.5);
        var columns = collector.Columns(table.Schema);
        Assert.Equal(["predicted_bbs", "tp", "fp", "fn", "mean_iou"], columns.Keys);
        var (result, files) = Run(collector, table, DetectionCoordinates.Pixels);
        for (var row = 0; row < 3; row++)
        {
            var expected = Cases[files[row]];
            Assert.Equal((expected.Tp, expected.Fp, expected.Fn), ((int)result["tp"][row]!, (int)result["fp"][row]!, (int)result["fn"][row]!));
            Assert.Equal((float)expected.MeanIoU!.Value, (float)result["mean_iou"][row]!, 6);
            var predicted = BoundingBoxes2D.FromRowValue(result["predicted_bbs"][row]);
            Assert.Equal(expected.Detections, predicted.Boxes);
            Assert.Equal(LabelmeData.Images.Single(i => i.FileName.EndsWith(files[row], StringComparison.Ordinal)).Width, predicted.ImageWidth);
        }

        // Stored as a metrics table, the values read back as written.
        await using var writer = await TableWriter.CreateAsync(new TableWriterOptions
        {
            Schema = new TableSchema(columns.Prepend(new("example_id", new Int64Schema()))),
            Project = "p",
            Dataset = "metrics",
            Table = "boxes",
            Root = _root.Url,
            Settings = _root.Settings,
            AddWeightColumn = false,
        }, ct);
        for (var row = 0; row < 3; row++)
        {
            var values = result.ToDictionary(kv => kv.Key, kv => kv.Value[row]);
            values["example_id"] = (long)row;
            writer.AddRow(values);
        }
        using var metrics = await writer.FinalizeAsync(ct);
        Assert.Equal(2, metrics.GetValue("fn", 1));
        var stored = (BoundingBoxes2D)metrics[2]["predicted_bbs"]!;
        Assert.Equal(0.95f, stored.Boxes[0].Confidence);
        Assert.Equal(7, stored.Boxes.Count);
    }

    [Fact(Timeout = 120_000)]
    public async Task Collect_NormalizedDetections_GiveTheSameOutcome()
    {
        using var table = await LabelmeData.ImportAsync(_root, CocoTask.Detect, TestContext.Current.CancellationToken);
        var collector = new BoundingBoxCollector(options: new BoundingBoxCollectorOptions { Coordinates = DetectionCoordinates.Normalized });
        collector.Columns(table.Schema);
        var (result, files) = Run(collector, table, DetectionCoordinates.Normalized);
        for (var row = 0; row < 3; row++)
        {
            var expected = Cases[files[row]];
            Assert.Equal((expected.Tp, expected.Fp, expected.Fn), ((int)result["tp"][row]!, (int)result["fp"][row]!, (int)result["fn"][row]!));
            Assert.Equal(expected.MeanIoU!.Value, (float)result["mean_iou"][row]!, 5);
            var predicted = BoundingBoxes2D.FromRowValue(result["predicted_bbs"][row]);
            Assert.Equal(expected.Detections[0].X1, predicted.Boxes[0].X1, 3); // stored in pixels
        }
    }

    [Fact(Timeout = 120_000)]
    public async Task Collect_YoloNormalizedCentreBoxTruth_GivesTheSameOutcome()
    {
        var ct = TestContext.Current.CancellationToken;
        using var table = await Table.FromYoloUrlAsync(Path.Combine(Fixtures.Yolo, "detect", "images"), Fixtures.YoloCategories, new YoloImportOptions
        {
            Project = "p",
            Dataset = "yolo",
            Table = "detect",
            Root = _root.Url,
            Settings = _root.Settings,
        }, ct);
        var schema = (AnnotationSchema)table.Schema["bbs"];
        Assert.Equal(("cxcywh", "true"), (schema.Attribute("box_format"), schema.Attribute("normalized")));
        var collector = new BoundingBoxCollector(Fixtures.YoloCategories);
        collector.Columns(table.Schema);
        var (result, files) = Run(collector, table, DetectionCoordinates.Pixels);
        Assert.Equal(3, files.Distinct().Count());
        for (var row = 0; row < 3; row++)
        {
            var expected = Cases[files[row]];
            Assert.Equal((expected.Tp, expected.Fp, expected.Fn), ((int)result["tp"][row]!, (int)result["fp"][row]!, (int)result["fn"][row]!));
            Assert.Equal(expected.MeanIoU!.Value, (float)result["mean_iou"][row]!, 4);
        }
    }

    [Fact]
    public void Match_HigherScoreFirst_TakesTheTruthAndLeavesTheOtherFalse()
    {
        BoundingBox2D[] truth = [Box(0, 0, 10, 10, 1)];
        // The exact box scores lower: the shifted one (IoU 9/11) is matched first and the exact one finds the truth taken.
        var result = BoxMatching.Match([Box(0, 0, 10, 10, 1, 0.5f), Box(1, 0, 11, 10, 1, 0.6f)], truth, 0.5);
        Assert.Equal([-1, 0], result.MatchedTruth);
        Assert.Equal((1, 1, 0), (result.TruePositives, result.FalsePositives, result.FalseNegatives));
        Assert.Equal(9.0 / 11, result.MeanIoU!.Value, 12);
    }

    [Fact]
    public void Match_BestIoUAmongFreeTruths_AndOnlyTheSameClass()
    {
        BoundingBox2D[] truth = [Box(0, 0, 10, 10, 1), Box(2, 0, 12, 10, 1), Box(0, 0, 10, 10, 2)];
        var result = BoxMatching.Match([Box(2, 0, 12, 10, 1, 0.9f), Box(1, 0, 11, 10, 1, 0.8f), Box(50, 50, 60, 60, 2, 0.7f)], truth, 0.5);
        // The first takes its exact twin (truth 1); the second gets truth 0 (IoU 9/11), the class-2 detection nothing.
        Assert.Equal([1, 0, -1], result.MatchedTruth);
        Assert.Equal((2, 1, 1), (result.TruePositives, result.FalsePositives, result.FalseNegatives));
    }

    [Fact]
    public void Match_IoUExactlyAtTheThreshold_Matches()
    {
        BoundingBox2D[] truth = [Box(0, 0, 2, 1, 3)];
        Assert.Equal(1, BoxMatching.Match([Box(0, 0, 1, 1, 3, 1f)], truth, 0.5).TruePositives); // IoU 1/2
        Assert.Equal(0, BoxMatching.Match([Box(0, 0, 1, 1, 3, 1f)], truth, 0.51).TruePositives);
    }

    [Fact(Timeout = 120_000)]
    public async Task Collect_IoUExactlyAtAThresholdWithNoExactFloat_Matches()
    {
        // Found by the numpy comparison of a cluster job: the threshold was kept as a float, so 0.3 became 0.30000001 and a
        // pair whose IoU is exactly 3/10 (0.29999999999999999 as a double, as numpy has it) did not match.
        using var table = await LabelmeData.ImportAsync(_root, CocoTask.Detect, TestContext.Current.CancellationToken);
        Assert.EndsWith("2011_000003.jpg", (string)table[0]["image"]!, StringComparison.Ordinal);
        // The bottle is x 369..388, y 159..213: a box on the same rows from x 370 to 429 has IoU 18/60 = 3/10.
        var probe = Box(370, 159, 429, 213, Bottle, 0.9f);
        Assert.Equal(0.3, BoxGeometry.IoU(probe, Box(369, 159, 388, 213, Bottle)));
        foreach (var collector in new[]
        {
            (BoundingBoxCollector)new BoundingBoxCollectorFactory().Create(new CollectorSpec("bounding_box", """{"iou_threshold": 0.3}""")),
            new BoundingBoxCollector(iouThreshold: 0.3),
        })
        {
            Assert.Equal(0.3, collector.IoUThreshold);
            collector.Columns(table.Schema);
            using var batch = new SampleBatch([0], [table[0]], zeros(1, 1));
            using var output = new PredictorOutput(DetectionOutput.ToTensor([[probe]]));
            var result = collector.Collect(batch, output);
            Assert.Equal((1, 0, 2), ((int)result["tp"][0]!, (int)result["fp"][0]!, (int)result["fn"][0]!));
            Assert.Equal(0.3f, (float?)result["mean_iou"][0]);
        }
    }

    [Fact]
    public void Match_CrowdTruth_IsNeitherMatchedNorMissed()
    {
        BoundingBox2D[] truth = [Box(0, 0, 10, 10, 1) with { IsCrowd = true }, Box(20, 20, 30, 30, 1)];
        var result = BoxMatching.Match([Box(0, 0, 10, 10, 1, 0.9f)], truth, 0.5);
        Assert.Equal((0, 1, 1), (result.TruePositives, result.FalsePositives, result.FalseNegatives));
        Assert.Null(result.MeanIoU);
    }

    [Fact]
    public void DetectionOutput_PacksAndReadsBack_PaddingRowsAreDropped()
    {
        IReadOnlyList<BoundingBox2D>[] lists = [[Box(1, 2, 3, 4, 5, 0.25f), Box(5, 6, 7, 8, 0, 1f)], []];
        using var packed = DetectionOutput.ToTensor(lists);
        Assert.Equal([2L, 2, 6], packed.shape);
        Assert.Equal(0f, packed[1, 0, 4].item<float>());
        var read = DetectionOutput.FromTensor(packed);
        Assert.Equal(lists[0], read[0]);
        Assert.Empty(read[1]);
        Assert.Single(DetectionOutput.FromTensor(packed, scoreThreshold: 0.5f)[0]);
        using var wrong = zeros(2, 3, 5);
        Assert.Contains("[B, N, 6]", Assert.Throws<ArgumentException>(() => DetectionOutput.FromTensor(wrong)).Message, StringComparison.Ordinal);
    }

    [Fact(Timeout = 120_000)]
    public async Task Collect_DetectionOfAnUnknownClass_NamesTheExample()
    {
        using var table = await LabelmeData.ImportAsync(_root, CocoTask.Detect, TestContext.Current.CancellationToken);
        var collector = new BoundingBoxCollector();
        collector.Columns(table.Schema);
        using var batch = new SampleBatch([1], [table[1]], zeros(1, 1));
        using var output = new PredictorOutput(DetectionOutput.ToTensor([[Box(0, 0, 5, 5, 42, 0.5f)]]));
        var e = Assert.Throws<ArgumentException>(() => collector.Collect(batch, output));
        Assert.Contains("Example 1", e.Message, StringComparison.Ordinal);
        Assert.Contains("class 42", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Collect_BeforeColumns_IsAnError()
    {
        using var batch = new SampleBatch([], [], zeros(0, 1));
        using var output = new PredictorOutput(zeros(0, 1, 6));
        var e = Assert.Throws<InvalidOperationException>(() => new BoundingBoxCollector().Collect(batch, output));
        Assert.Contains("Columns(inputSchema) must be called before Collect", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Factory_Arguments_BuildTheCollector()
    {
        var factory = new BoundingBoxCollectorFactory();
        Assert.Equal("bounding_box", factory.Name);
        var collector = (BoundingBoxCollector)factory.Create(new CollectorSpec("bounding_box",
            """{"classes": ["cat", "dog"], "iou_threshold": 0.75, "coordinates": "normalized", "truth_column": "boxes", "score_threshold": 0.1}"""));
        Assert.Equal(0.75, collector.IoUThreshold);
        Assert.Equal(DetectionCoordinates.Normalized, collector.Options.Coordinates);
        Assert.Equal(0.1f, collector.Options.ScoreThreshold);
        var columns = collector.Columns(new TableSchema { ["boxes"] = BoundingBoxes2D.Schema(["x"]), ["other"] = BoundingBoxes2D.Schema(["y"]) });
        Assert.Equal(["cat", "dog"], ((AnnotationSchema)columns["predicted_bbs"]).Classes!.Names);

        Assert.Contains("'coordinates' must be", Assert.Throws<ArgumentException>(() =>
            factory.Create(new CollectorSpec("bounding_box", """{"coordinates": "percent"}"""))).Message, StringComparison.Ordinal);
        Assert.Contains("(0, 1]", Assert.Throws<ArgumentOutOfRangeException>(() =>
            factory.Create(new CollectorSpec("bounding_box", """{"iou_threshold": 0}"""))).Message, StringComparison.Ordinal);
    }

    /// <summary>Runs the collector over the table's rows in one batch; returns its columns and each row's file name.</summary>
    private static (IReadOnlyDictionary<string, IList> Result, string[] Files) Run(BoundingBoxCollector collector, Table table, DetectionCoordinates coordinates)
    {
        var samples = Enumerable.Range(0, 3).Select(r => table[r]).ToList();
        var files = samples.Select(s => Path.GetFileName(new Url((string)s["image"]!).LocalPath)).ToArray();
        var detections = files.Select(f =>
        {
            var image = LabelmeData.Images.Single(i => i.FileName.EndsWith(f, StringComparison.Ordinal));
            return (IReadOnlyList<BoundingBox2D>)Cases[f].Detections.Select(d => coordinates == DetectionCoordinates.Pixels ? d
                : d with { X0 = d.X0 / image.Width, X1 = d.X1 / image.Width, Y0 = d.Y0 / image.Height, Y1 = d.Y1 / image.Height }).ToList();
        }).ToList();
        using var batch = new SampleBatch([0, 1, 2], samples, zeros(3, 1));
        using var output = new PredictorOutput(DetectionOutput.ToTensor(detections));
        return (collector.Collect(batch, output), files);
    }

    private static BoundingBox2D Box(float x0, float y0, float x1, float y1, int label, float? score = null) =>
        new(x0, y0, x1, y1, label) { Confidence = score };
}
