using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Tlc.DataTypes;
using Tlc.Metrics;
using Tlc.Metrics.Collectors;
using Tlc.Metrics.Detection;
using Tlc.Schemas;
using Tlc.Tables;
using Tlc.Tables.Import;
using Tlc.Testing;
using Tlc.Testing.Cluster;
using TorchSharp;

namespace Tlc.Workers.Tests;

/// <summary>
/// The bounding-box and segmentation collectors through real collect_metrics jobs on a three-silo cluster: two in-process
/// workers load perturbing models from a plugin folder (tests/Tlc.Workers.TestPlugin) and compute the labelme COCO set's
/// metrics; every sample's values are then checked against scripts/vision_metrics.py, which recomputes matching and IoU with
/// numpy from the COCO JSON and the predictions the jobs stored.
/// </summary>
public sealed class VisionCollectMetricsTests(ClusterFixture fixture) : IClassFixture<ClusterFixture>
{
    private const string Detector = "test-plugin-perturbed-detector";
    private const string Segmenter = "test-plugin-perturbed-segmenter";
    private const double BoxTolerance = 1e-5;

    /// <summary>Debian's Python, which has numpy from Debian's packages (python3-numpy, tests/fixtures/prepare.sh); another python3 may lack it.</summary>
    private static string Python => File.Exists("/usr/bin/python3") ? "/usr/bin/python3" : "python3";

    private static string Script => Path.Combine(Fixtures.RepositoryRoot, "tests", "Tlc.Workers.Tests", "Scripts", "vision_metrics.py");

    private static string Annotations => Path.Combine(Fixtures.LabelmeCoco, "annotations.json");

    [Fact(Timeout = 300_000)]
    public async Task CollectMetrics_PluginDetectorOnLabelme_CountsAndIoUEqualNumpy()
    {
        var ct = TestContext.Current.CancellationToken;
        torch.set_num_threads(1);
        var context = fixture.Context();
        using var table = await ImportAsync("detect", ct);
        var models = PluginModels();
        await using var workers = InProcessWorkers.Start(context, 2, new WorkerOptions { PollInterval = TimeSpan.FromMilliseconds(100) }, models: models);

        // Two jobs: the default threshold with the default perturbations, and a threshold of 0.3 with harsher ones, read by
        // the worker from the spec's weights file, and a probe detection per image at an IoU of exactly 3/10.
        var harsh = Path.Combine(fixture.Root.Path, "harsh-detector.json");
        await File.WriteAllTextAsync(harsh, """{"drop": 0.15, "shift": 0.35, "swap": 0.3, "duplicate": 0.6, "spurious": 4}""", ct);
        var jobs = new (ModelSpec Model, CollectorSpec Collector, double Threshold)[]
        {
            (new ModelSpec(ModelKinds.Factory, Detector, ArgumentsJson: """{"seed": 1}"""), new CollectorSpec("bounding_box"), 0.5),
            (new ModelSpec(ModelKinds.Factory, Detector, Url.FromLocalPath(harsh).Value, """{"seed": 2, "exact_iou": [3, 10]}"""), new CollectorSpec("bounding_box", """{"iou_threshold": 0.3}"""), 0.3),
        };
        var totals = new Dictionary<string, int>(StringComparer.Ordinal);
        var boxes = 0;
        var worst = 0.0;
        for (var j = 0; j < jobs.Length; j++)
        {
            var (model, collector, threshold) = jobs[j];
            await using var run = await Runs.InitAsync(context, "vision", $"detect-{j}", cancellationToken: ct);
            using var metrics = await run.CollectMetricsAsync(table, model, [collector], new CollectOptions { BatchSize = 2, ShardRows = 2 }, ct);
            Assert.Equal(table.RowCount, metrics.RowCount);

            // The detections the job stored are the plugin model's, whichever worker and batch computed them.
            using var predictor = models.CreatePredictor(model);
            var samples = new JsonArray();
            var predicted = new Dictionary<string, BoundingBoxes2D>(StringComparer.Ordinal);
            foreach (var row in metrics.Rows)
            {
                var id = (long)row["example_id"]!;
                var stored = BoundingBoxes2D.FromRowValue(row["predicted_bbs"]);
                using (var input = predictor.Preprocess(table.Sample(id)))
                using (var batch = input.unsqueeze(0))
                {
                    Assert.Equal(DetectionOutput.FromTensor(batch)[0], stored.Boxes);
                }
                var key = id.ToString(CultureInfo.InvariantCulture);
                predicted[key] = stored;
                samples.Add(new JsonObject
                {
                    ["key"] = key,
                    ["file_name"] = FileName(table, id),
                    ["boxes"] = new JsonArray([.. stored.Boxes.Select(b => (JsonNode)new JsonArray((double)b.X0, (double)b.Y0, (double)b.X1, (double)b.Y1, (double)b.Confidence!.Value, b.Label))]),
                });
            }
            var numpy = await NumpyAsync(new JsonObject { ["detection"] = new JsonObject { ["iou_threshold"] = threshold, ["samples"] = samples } }, ct);

            Assert.Equal(metrics.RowCount, numpy["detection"]!.AsArray().Count); // every sample compared
            var bbs = (AnnotationSchema)table.Schema["bbs"];
            var format = BoxFormats.Parse(bbs.Attribute("box_format", "xyxy"));
            foreach (var expected in numpy["detection"]!.AsArray().Select(n => n!))
            {
                var key = (string)expected["key"]!;
                var id = long.Parse(key, CultureInfo.InvariantCulture);
                var row = metrics.Rows.Single(r => (long)r["example_id"]! == id);
                var what = $"job {j} (IoU ≥ {threshold}), {FileName(table, id)}";
                Assert.True((int)expected["tp"]! == (int)row["tp"]!, $"{what}: tp {row["tp"]}, numpy {expected["tp"]}");
                Assert.True((int)expected["fp"]! == (int)row["fp"]!, $"{what}: fp {row["fp"]}, numpy {expected["fp"]}");
                Assert.True((int)expected["fn"]! == (int)row["fn"]!, $"{what}: fn {row["fn"]}, numpy {expected["fn"]}");
                var mean = (double?)expected["mean_iou"];
                Assert.Equal(mean is null, row["mean_iou"] is null);
                if (mean is { } m)
                {
                    var delta = Math.Abs(m - (float)row["mean_iou"]!);
                    Assert.True(delta <= BoxTolerance, $"{what}: mean IoU {row["mean_iou"]}, numpy {m}");
                    worst = Math.Max(worst, delta);
                }
                // No IoU of a same-class pair lies so near the threshold that float32 storage could decide a match.
                Assert.True(expected["threshold_margin"] is null || (double)expected["threshold_margin"]! > 1e-4, $"{what}: an IoU within {expected["threshold_margin"]} of the threshold");

                // Box by box: the matching rule on the stored detections and the table's truth pairs the same boxes at the
                // same IoUs as numpy did (the truth boxes are COCO's, in file order, in both).
                var truth = (BoundingBoxes2D)table.Sample(id)["bbs"]!;
                var corners = truth.Boxes.Select(b => BoxGeometry.ToXyxyPixels(b, format, normalized: false, truth.ImageWidth, truth.ImageHeight)).ToList();
                var numpyTruth = expected["truth"]!.AsArray().Select(t => t!.AsArray().Select(v => (double)v!).ToArray()).ToList();
                Assert.Equal(numpyTruth.Count, corners.Count);
                for (var t = 0; t < corners.Count; t++)
                {
                    Assert.Equal(numpyTruth[t], new double[] { corners[t].X0, corners[t].Y0, corners[t].X1, corners[t].Y1, corners[t].Label });
                }
                var match = BoxMatching.Match(predicted[key].Boxes, corners, threshold);
                Assert.Equal(expected["matched"]!.AsArray().Select(v => (int)v!), match.MatchedTruth);
                var ious = expected["match_iou"]!.AsArray().Select(v => (double?)v).ToArray();
                for (var d = 0; d < ious.Length; d++)
                {
                    Assert.Equal(ious[d] is null, match.MatchIoU[d] is null);
                    if (ious[d] is { } iou)
                    {
                        Assert.True(Math.Abs(iou - match.MatchIoU[d]!.Value) <= BoxTolerance, $"{what}: detection {d} IoU {match.MatchIoU[d]}, numpy {iou}");
                        worst = Math.Max(worst, Math.Abs(iou - match.MatchIoU[d]!.Value));
                    }
                }
                boxes += ious.Length;
                foreach (var name in new[] { "tp", "fp", "fn", "lost_to_taken", "tied_scores", "label_mismatches", "matched_at_threshold" })
                {
                    totals[name] = totals.GetValueOrDefault(name) + (int)expected[name]!;
                }
            }
        }
        // The perturbations exercise every part of the rule: matches, misses, spurious boxes, duplicates losing to a
        // higher-scoring detection of the same object, equal scores, boxes on an object of another class, and matches at
        // exactly the threshold.
        Assert.All(totals, kv => Assert.True(kv.Value > 0, $"no sample has {kv.Key}: {string.Join(", ", totals)}"));
        TestContext.Current.TestOutputHelper?.WriteLine(
            $"{boxes} detections over {jobs.Length} jobs; {string.Join(", ", totals.Select(kv => $"{kv.Key} {kv.Value}"))}; largest IoU difference from numpy {worst:G3}");
    }

    [Fact(Timeout = 300_000)]
    public async Task CollectMetrics_PluginSegmenterOnLabelme_PerClassIoUWithinNumpyRasterisationBounds()
    {
        var ct = TestContext.Current.CancellationToken;
        torch.set_num_threads(1);
        var context = fixture.Context();
        using var table = await ImportAsync("segment", ct);
        var models = PluginModels();
        await using var workers = InProcessWorkers.Start(context, 2, new WorkerOptions { PollInterval = TimeSpan.FromMilliseconds(100) }, models: models);
        // Two jobs: background class 0 (the default), and none, where pixels no truth instance covers count for nothing.
        var jobs = new (ModelSpec Model, CollectorSpec Collector, int? Background)[]
        {
            (new ModelSpec(ModelKinds.Factory, Segmenter, ArgumentsJson: """{"seed": 3}"""), new CollectorSpec("segmentation"), 0),
            (new ModelSpec(ModelKinds.Factory, Segmenter, ArgumentsJson: """{"seed": 4}"""), new CollectorSpec("segmentation", """{"background_class": null}"""), null),
        };
        var classes = ((AnnotationSchema)table.Schema["segmentations"]).Classes!;
        var columns = ClassColumnNames.For("iou_", classes);
        var compared = 0;
        var exact = 0;
        var worst = 0.0;
        var ambiguous = 0;
        for (var j = 0; j < jobs.Length; j++)
        {
            var (model, collector, background) = jobs[j];
            await using var run = await Runs.InitAsync(context, "vision", $"segment-{j}", cancellationToken: ct);
            using var metrics = await run.CollectMetricsAsync(table, model, [collector], new CollectOptions { BatchSize = 2, ShardRows = 2 }, ct);
            Assert.Equal(table.RowCount, metrics.RowCount);

            var samples = new JsonArray();
            foreach (var row in metrics.Rows)
            {
                var id = (long)row["example_id"]!;
                var mask = SegmentationMasks.FromRowValue(row["predicted_mask"]);
                samples.Add(new JsonObject
                {
                    ["key"] = id.ToString(CultureInfo.InvariantCulture),
                    ["file_name"] = FileName(table, id),
                    ["width"] = mask.ImageWidth,
                    ["height"] = mask.ImageHeight,
                    ["instances"] = new JsonArray([.. mask.Instances.Select(i => (JsonNode)new JsonObject
                    {
                        ["label"] = i.Label,
                        ["counts"] = new JsonArray([.. i.Counts.Select(c => (JsonNode)c)]),
                    })]),
                });
            }
            var numpy = await NumpyAsync(new JsonObject
            {
                ["segmentation"] = new JsonObject
                {
                    ["classes"] = new JsonArray([.. classes.Keys.Select(k => (JsonNode)k)]),
                    ["background"] = background,
                    ["samples"] = samples,
                },
            }, ct);

            Assert.Equal(metrics.RowCount, numpy["segmentation"]!.AsArray().Count); // every sample compared
            foreach (var expected in numpy["segmentation"]!.AsArray().Select(n => n!))
            {
                var id = long.Parse((string)expected["key"]!, CultureInfo.InvariantCulture);
                var row = metrics.Rows.Single(r => (long)r["example_id"]! == id);
                var what = $"job {j} (background {background?.ToString(CultureInfo.InvariantCulture) ?? "none"}), {FileName(table, id)}";
                var undecided = expected["ambiguous_definedness"]!.AsArray().Select(v => (long)v!).ToHashSet();
                ambiguous += (int)expected["ambiguous_pixels"]!;
                foreach (var (value, column) in columns)
                {
                    var key = value.ToString(CultureInfo.InvariantCulture);
                    var iou = (double?)expected["iou"]![key];
                    var actual = (float?)row[column];
                    if (undecided.Contains(value))
                    {
                        continue; // only ambiguous edge pixels could hold the class: whether it is defined is the rasteriser's call
                    }
                    Assert.True((iou is null) == (actual is null), $"{what}, {column}: {actual?.ToString(CultureInfo.InvariantCulture) ?? "null"}, numpy {iou?.ToString(CultureInfo.InvariantCulture) ?? "null"}");
                    if (iou is { } v)
                    {
                        var bounds = expected["bounds"]![key]!.AsArray();
                        var (low, high) = ((double)bounds[0]!, (double)bounds[1]!);
                        Assert.True(actual >= low - 1e-6 && actual <= high + 1e-6, $"{what}, {column}: {actual}, numpy {v} within [{low}, {high}]");
                        worst = Math.Max(worst, Math.Abs(v - actual!.Value));
                        exact += Math.Abs(v - actual!.Value) <= 1e-6 ? 1 : 0;
                        compared++;
                    }
                }
                var mean = (double?)expected["mean_iou"];
                Assert.Equal(mean is null, row["mean_iou"] is null);
                if (mean is not null && undecided.Count == 0)
                {
                    var bounds = expected["mean_bounds"]!.AsArray();
                    var actual = (float)row["mean_iou"]!;
                    Assert.True(actual >= (double)bounds[0]! - 1e-6 && actual <= (double)bounds[1]! + 1e-6, $"{what}, mean_iou: {actual}, numpy {mean} within [{bounds[0]}, {bounds[1]}]");
                }
                if (background is null)
                {
                    Assert.True((int)expected["ignored_pixels"]! > 0, $"{what}: no pixel is ignored");
                }
            }
        }
        Assert.True(compared >= table.RowCount * jobs.Length * 2, $"only {compared} defined class IoUs were compared");
        TestContext.Current.TestOutputHelper?.WriteLine(
            $"{compared} class IoUs compared, {exact} equal to numpy's within 1e-6, largest difference {worst:G3}; {ambiguous} pixels within 1/16 px of an edge");
    }

    private async Task<Table> ImportAsync(string name, CancellationToken ct) =>
        await Table.FromCocoAsync(Annotations, Fixtures.LabelmeCoco, new CocoImportOptions
        {
            Project = "vision",
            Dataset = "labelme",
            Table = name,
            Root = fixture.Root.Url,
            Settings = fixture.Root.Settings,
            Task = CocoTask.Segment,
        }, ct);

    /// <summary>A registry with the models of the test plugin, loaded from a plugin folder as a worker started with --plugins loads them.</summary>
    private ModelRegistry PluginModels()
    {
        var folder = Path.Combine(fixture.Root.Path, "plugins");
        Directory.CreateDirectory(folder);
        var built = Path.Combine(AppContext.BaseDirectory, "test-plugin", "Tlc.Workers.TestPlugin.dll");
        Assert.True(File.Exists(built), $"the test plugin was not built to {built}");
        var plugin = Path.Combine(folder, "Tlc.Workers.TestPlugin.dll");
        if (!File.Exists(plugin))
        {
            File.Copy(built, plugin); // once: a loaded plugin's file is not rewritten
        }
        var models = new ModelRegistry();
        Assert.Equal([Detector, Segmenter], models.LoadPlugins(folder).Order(StringComparer.Ordinal));
        Assert.DoesNotContain(Detector, ModelRegistry.Default.Names); // the client knows the model by name only
        return models;
    }

    private static string FileName(Table table, long row) => Path.GetFileName((string)table.Rows[row]["image"]!);

    /// <summary>Runs the numpy script on <paramref name="predictions"/> and returns its output.</summary>
    private async Task<JsonNode> NumpyAsync(JsonObject predictions, CancellationToken ct)
    {
        var folder = Path.Combine(fixture.Root.Path, "numpy", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(folder);
        var input = Path.Combine(folder, "predictions.json");
        var output = Path.Combine(folder, "numpy.json");
        await File.WriteAllTextAsync(input, predictions.ToJsonString(), ct);
        var (code, _, stderr) = await RunPythonAsync(["-c", "import numpy"], ct);
        Assert.True(code == 0, $"{Python} has no numpy: install Debian's python3-numpy (tests/fixtures/prepare.sh does).\n{stderr}");
        (code, var stdout, stderr) = await RunPythonAsync([Script, Annotations, input, output], ct);
        Assert.True(code == 0, $"{Script} failed ({code}):\n{stdout}\n{stderr}");
        return JsonNode.Parse(await File.ReadAllTextAsync(output, ct))!;
    }

    private static async Task<(int Code, string Stdout, string Stderr)> RunPythonAsync(IEnumerable<string> args, CancellationToken ct)
    {
        using var process = Process.Start(new ProcessStartInfo(Python, args)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        })!;
        var stdout = process.StandardOutput.ReadToEndAsync(ct);
        var stderr = process.StandardError.ReadToEndAsync(ct);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(TimeSpan.FromMinutes(2));
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw;
        }
        return (process.ExitCode, await stdout, await stderr);
    }
}
