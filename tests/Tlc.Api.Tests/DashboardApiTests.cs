using System.Collections;
using Tlc.Cluster;
using System.Net;
using System.Text.Json.Nodes;
using Tlc.Schemas;
using Tlc.Tables.Import;

namespace Tlc.Api.Tests;

/// <summary>
/// The dashboard's read API over HTTP on a real root: browse projects, tables and runs; page, sort and filter a table's
/// rows server-side with class names; histograms and value counts; clear 4xx errors naming the parameter or column;
/// nothing served from outside the root.
/// </summary>
public sealed class DashboardApiTests(ApiFixture fixture) : IClassFixture<ApiFixture>
{
    private static int _tables;

    private async Task<Tables.Table> TableAsync(int rows)
    {
        var name = $"grid-{Interlocked.Increment(ref _tables)}";
        return await Tables.Table.FromDictAsync(new Dictionary<string, IEnumerable>
        {
            ["label"] = Enumerable.Range(0, rows).Select(i => i % 3).ToArray(),
            ["loss"] = Enumerable.Range(0, rows).Select(i => (i * 7 % rows) / (float)rows).ToArray(),
            ["name"] = Enumerable.Range(0, rows).Select(i => i == 3 ? "<img src=x onerror=alert(1)>" : $"sample {i}").ToArray(),
        }, new ImportOptions
        {
            Project = "dash", Dataset = "data", Table = name, Root = fixture.Root.Url, Settings = fixture.Root.Settings,
            Schema = new Dictionary<string, ColumnSchema> { ["label"] = new CategoricalLabelSchema(["cat", "dog", "bird"]) },
        });
    }

    private async Task<(HttpStatusCode Status, JsonObject Body)> GetAsync(string path)
    {
        using var response = await fixture.Http.GetAsync(path, TestContext.Current.CancellationToken);
        var text = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
        return (response.StatusCode, (JsonObject)JsonNode.Parse(text)!);
    }

    private static string Q(string text) => Uri.EscapeDataString(text);

    [Fact(Timeout = 60_000)]
    public async Task Browse_ProjectsTablesRuns_ListWhatTheRootHolds()
    {
        using var table = await TableAsync(10);
        await using (var run = await Runs.InitAsync(fixture.Context, "dash", "browse", ifExists: RunIfExists.Overwrite, parameters: new Dictionary<string, object?> { ["lr"] = 0.01 }))
        {
            await run.LogAsync(new Dictionary<string, object?> { ["epoch"] = 1, ["val_loss"] = 0.5 });
        }

        var projects = await GetAsync("/v1/projects");
        var tables = await GetAsync("/v1/tables?project=dash");
        var runs = await GetAsync("/v1/runs?project=dash");

        Assert.Contains("dash", projects.Body["projects"]!.AsArray().Select(p => (string)p!));
        var listed = tables.Body["tables"]!.AsArray().Single(t => (string)t!["url"]! == table.Url.Value)!;
        Assert.Equal((10, "data", table.Name), ((long)listed["rows"]!, (string)listed["dataset"]!, (string)listed["name"]!));
        var browse = runs.Body["runs"]!.AsArray().Single(r => (string)r!["name"]! == "browse")!;
        Assert.Equal(0.01, (double)browse["parameters"]!["lr"]!);
    }

    [Fact(Timeout = 60_000)]
    public async Task Rows_FilterByClassNameSortDescendingPage_ServerSideWithClassNames()
    {
        using var table = await TableAsync(300);

        var (status, page) = await GetAsync($"/v1/rows?table={Q(table.Url.Value)}&filter={Q("label==dog")}&filter={Q("loss>=0.5")}&sort=loss&desc=true&offset=2&limit=5");

        Assert.Equal(HttpStatusCode.OK, status);
        var expected = Enumerable.Range(0, 300).Where(i => i % 3 == 1 && i * 7 % 300 / 300f >= 0.5f).OrderByDescending(i => i * 7 % 300).ThenBy(i => i).ToList();
        Assert.Equal(expected.Count, (long)page["matched"]!);
        Assert.Equal(expected.Skip(2).Take(5).Select(i => (long)i), page["items"]!.AsArray().Select(r => (long)r!["row"]!));
        Assert.All(page["items"]!.AsArray(), r => Assert.Equal(1, (int)r!["values"]!["label"]!));
        var label = page["columns"]!.AsArray().Single(c => (string)c!["name"]! == "label")!;
        Assert.Equal("dog", (string)label["classes"]!["1"]!);
    }

    [Fact(Timeout = 60_000)]
    public async Task Rows_3dAndOrientedBoxColumns_ServedAsTheirStoredFieldsWithAnnotationDescriptions()
    {
        string[] classes = ["car", "pedestrian"];
        await using var writer = await Tables.TableWriter.CreateAsync(new Tables.TableWriterOptions
        {
            Schema = new TableSchema
            {
                ["boxes_3d"] = Tlc.DataTypes.BoundingBoxes3D.Schema(classes),
                ["obbs_2d"] = Tlc.DataTypes.OrientedBoundingBoxes2D.Schema(classes),
                ["obbs_3d"] = Tlc.DataTypes.OrientedBoundingBoxes3D.Schema(classes).AsNullable(),
            },
            Project = "dash", Dataset = "boxes", Table = $"boxes-{Interlocked.Increment(ref _tables)}", Root = fixture.Root.Url, Settings = fixture.Root.Settings,
        }, TestContext.Current.CancellationToken);
        writer.AddRow(new Dictionary<string, object?>
        {
            ["boxes_3d"] = new Tlc.DataTypes.BoundingBoxes3D([new(1.5f, -2, 0.25f, 4, 2, 1.5f, 0.5f, 1)]),
            ["obbs_2d"] = new Tlc.DataTypes.OrientedBoundingBoxes2D(64, 48, [new(32, 24, 10, 5, -0.75f, 0)]),
            ["obbs_3d"] = new Tlc.DataTypes.OrientedBoundingBoxes3D([new(1, 2, 3, 4, 5, 6, 0.1f, 0.2f, 0.3f, 1)]),
        });
        writer.AddRow(new Dictionary<string, object?>
        {
            ["boxes_3d"] = new Tlc.DataTypes.BoundingBoxes3D([]),
            ["obbs_2d"] = new Tlc.DataTypes.OrientedBoundingBoxes2D(64, 48, []),
            ["obbs_3d"] = null,
        });
        using var table = await writer.FinalizeAsync(TestContext.Current.CancellationToken);

        var (status, page) = await GetAsync($"/v1/rows?table={Q(table.Url.Value)}");

        Assert.Equal(HttpStatusCode.OK, status);
        var columns = page["columns"]!.AsArray().ToDictionary(c => (string)c!["name"]!, c => c!.AsObject());
        Assert.Equal("bounding_boxes_3d", (string)columns["boxes_3d"]["type"]!);
        Assert.Equal("pedestrian", (string)columns["obbs_3d"]["annotation"]!["classes"]!["1"]!);
        var first = page["items"]!.AsArray()[0]!["values"]!;
        var box3D = first["boxes_3d"]!["bb_list"]![0]!;
        Assert.Equal([1.5, -2, 0.25, 4, 2, 1.5, 0.5, 1], new[] { "center_x", "center_y", "center_z", "size_x", "size_y", "size_z", "yaw", "label" }.Select(f => (double)box3D[f]!));
        Assert.Equal(64, (double)first["obbs_2d"]!["image_width"]!);
        var obb2D = first["obbs_2d"]!["obb_list"]![0]!;
        Assert.Equal([32, 24, 10, 5, -0.75, 0], new[] { "center_x", "center_y", "width", "height", "rotation", "label" }.Select(f => (double)obb2D[f]!));
        var obb3D = first["obbs_3d"]!["obb_list"]![0]!;
        Assert.Equal([1, 2, 3, 4, 5, 6, 0.1f, 0.2f, 0.3f, 1], new[] { "center_x", "center_y", "center_z", "size_x", "size_y", "size_z", "yaw", "pitch", "roll", "label" }.Select(f => (float)(double)obb3D[f]!));
        var second = page["items"]!.AsArray()[1]!["values"]!;
        Assert.Empty(second["boxes_3d"]!["bb_list"]!.AsArray());
        Assert.Null(second["obbs_3d"]);
    }

    [Fact(Timeout = 60_000)]
    public async Task Rows_MarkupInStrings_ComesBackAsTheSameText()
    {
        using var table = await TableAsync(10);

        var (_, page) = await GetAsync($"/v1/rows?table={Q(table.Url.Value)}&filter={Q("name~onerror")}");

        Assert.Equal("<img src=x onerror=alert(1)>", (string)page["items"]![0]!["values"]!["name"]!);
    }

    [Fact(Timeout = 60_000)]
    public async Task HistogramAndValues_CountEveryMatchingRow()
    {
        using var table = await TableAsync(300);

        var (_, histogram) = await GetAsync($"/v1/histogram?table={Q(table.Url.Value)}&column=loss&bins=10&filter={Q("label in cat,bird")}");
        var (_, values) = await GetAsync($"/v1/values?table={Q(table.Url.Value)}&column=label");

        Assert.Equal(200, histogram["counts"]!.AsArray().Sum(c => (long)c!));
        Assert.Equal(10, histogram["counts"]!.AsArray().Count);
        Assert.Equal([("cat", 100L), ("dog", 100L), ("bird", 100L)], values["values"]!.AsArray().Select(v => ((string)v!["label"]!, (long)v["count"]!)));
    }

    [Fact(Timeout = 60_000)]
    public async Task BadRequests_4xxNamingTheParameterOrColumn()
    {
        using var table = await TableAsync(10);
        var url = Q(table.Url.Value);
        var outside = Q(Url.FromLocalPath(Path.GetTempPath()).Join("elsewhere/t").Value);

        var cases = new (string Path, HttpStatusCode Status, string Says)[]
        {
            ("/v1/rows", HttpStatusCode.BadRequest, "table: this query parameter is required"),
            ($"/v1/rows?table={url}&sort=los", HttpStatusCode.NotFound, "no column 'los'"),
            ($"/v1/rows?table={url}&limit=100000", HttpStatusCode.BadRequest, "limit: expected an integer in [0, 10000]"),
            ($"/v1/rows?table={url}&desc=maybe", HttpStatusCode.BadRequest, "desc: expected true or false"),
            ($"/v1/rows?table={url}&filter={Q("loss")}", HttpStatusCode.BadRequest, "filter 'loss'"),
            ($"/v1/histogram?table={url}&column=name", HttpStatusCode.BadRequest, "'name' is not numeric"),
            ($"/v1/rows?table={outside}", HttpStatusCode.Forbidden, "not under this API's root"),
            ($"/v1/rows?table={Q(table.Url.Value + "/../../../../../../../../x")}", HttpStatusCode.Forbidden, "not under this API's root"),
            ($"/v1/rows?table={Q(fixture.Root.Url.Join("projects/dash/datasets/data/tables/none").Value)}", HttpStatusCode.NotFound, "no table at"),
        };
        foreach (var (path, expected, says) in cases)
        {
            var (status, body) = await GetAsync(path);
            Assert.True(status == expected, $"{path}: {(int)status} {body.ToJsonString()}");
            Assert.Contains(says, (string)body["error"]!, StringComparison.Ordinal);
        }
    }

    [Fact(Timeout = 60_000)]
    public async Task Token_DashboardUrlSetsCookie_PageAndApiNeedTokenOrCookie_401Otherwise()
    {
        await using var guarded = await Hosting.TrainingApiHost.StartAsync(fixture.Context, new Hosting.TrainingApiOptions { Port = 0, Token = "s3cret" });
        var cookies = new CookieContainer();
        using var browser = new HttpClient(new HttpClientHandler { CookieContainer = cookies, AllowAutoRedirect = false }) { BaseAddress = new Uri(guarded.Url) };
        using var stranger = new HttpClient { BaseAddress = new Uri(guarded.Url) };
        var ct = TestContext.Current.CancellationToken;

        using var page = await stranger.GetAsync("/", ct);
        using var wrong = await stranger.GetAsync("/?token=guess", ct);
        using var entry = await browser.GetAsync("/?token=s3cret", ct);
        using var after = await browser.GetAsync("/v1/projects", ct);
        using var script = await browser.GetAsync("/app.js", ct);

        Assert.Equal(HttpStatusCode.Unauthorized, page.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, wrong.StatusCode);
        Assert.Equal(HttpStatusCode.Redirect, entry.StatusCode);
        Assert.Equal("/", entry.Headers.Location?.OriginalString);
        Assert.Contains("httponly", string.Join(";", entry.Headers.GetValues("Set-Cookie")), StringComparison.OrdinalIgnoreCase);
        Assert.Equal(HttpStatusCode.OK, after.StatusCode);
        Assert.Equal(HttpStatusCode.OK, script.StatusCode);
        Assert.Contains("default-src 'self'", script.Headers.GetValues("Content-Security-Policy").Single(), StringComparison.Ordinal);
    }

    /// <summary>A table of <paramref name="rows"/> 40×20 RGBA images whose red channel is the row and green the column.</summary>
    internal static async Task<Tables.Table> ImagesAsync(ApiFixture fixture, int rows, string name)
    {
        await using var writer = await Tables.TableWriter.CreateAsync(new Tables.TableWriterOptions
        {
            Schema = new TableSchema { ["image"] = new ImageSchema(), ["label"] = new CategoricalLabelSchema(["even", "odd"]) },
            Project = "dash", Dataset = "images", Table = name, Root = fixture.Root.Url, Settings = fixture.Root.Settings, IfExists = Tables.IfExists.Overwrite,
        }, TestContext.Current.CancellationToken);
        for (var r = 0; r < rows; r++)
        {
            var pixels = new byte[40 * 20 * 4];
            for (var y = 0; y < 20; y++)
            {
                for (var x = 0; x < 40; x++)
                {
                    var at = ((y * 40) + x) * 4;
                    (pixels[at], pixels[at + 1], pixels[at + 2], pixels[at + 3]) = ((byte)(r * 10), (byte)(x * 6), 128, 255);
                }
            }
            writer.AddRow(new Dictionary<string, object?> { ["image"] = new Tables.Samples.ImageSample(40, 20, Tables.Samples.ImageColorType.Rgba8888, pixels), ["label"] = r % 2 });
        }
        return await writer.FinalizeAsync(TestContext.Current.CancellationToken);
    }

    [Fact(Timeout = 60_000)]
    public async Task Image_FullAndThumbnail_FromTheTablesOwnFile_BadColumnOrRowClearError()
    {
        using var table = await ImagesAsync(fixture, 5, "pictures");
        var url = Q(table.Url.Value);
        var ct = TestContext.Current.CancellationToken;

        using var full = await fixture.Http.GetAsync($"/v1/image?table={url}&row=3&column=image", ct);
        using var thumb = await fixture.Http.GetAsync($"/v1/image?table={url}&row=3&column=image&size=10", ct);
        var fullImage = Tables.Samples.ImageSample.Decode(await full.Content.ReadAsByteArrayAsync(ct));
        var thumbImage = Tables.Samples.ImageSample.Decode(await thumb.Content.ReadAsByteArrayAsync(ct));

        Assert.Equal("image/png", full.Content.Headers.ContentType?.MediaType);
        Assert.Equal((40, 20), (fullImage.Width, fullImage.Height));
        Assert.Equal(((Tables.Samples.ImageSample)table.SampleValue("image", 3)!).Pixels, fullImage.Pixels);
        Assert.Equal((10, 5), (thumbImage.Width, thumbImage.Height));
        Assert.InRange(thumbImage.Pixels[0], 28, 32); // red = row 3 × 10, kept through the scaling
        foreach (var (path, expected, says) in new (string, HttpStatusCode, string)[]
        {
            ($"/v1/image?table={url}&row=3&column=label", HttpStatusCode.BadRequest, "holds no image"),
            ($"/v1/image?table={url}&row=5&column=image", HttpStatusCode.BadRequest, "row: expected an integer in [0, 4]"),
            ($"/v1/image?table={url}&row=0&column=nope", HttpStatusCode.NotFound, "no sample column 'nope'"),
        })
        {
            var (status, body) = await GetAsync(path);
            Assert.True(status == expected, $"{path}: {(int)status} {body.ToJsonString()}");
            Assert.Contains(says, (string)body["error"]!, StringComparison.Ordinal);
        }
    }

    /// <summary>A run's metrics table over <paramref name="input"/>: loss = (7·id mod n) / n and a predicted class for every row.</summary>
    internal static async Task<Tables.Table> MetricsAsync(ApiFixture fixture, Tables.Table input, string runName)
    {
        var n = input.RowCount;
        return (await EpochsAsync(fixture, input, runName, id => (id * 7 % n) / (float)n))[0];
    }

    /// <summary>
    /// A run with one "eval" metrics table over <paramref name="input"/> per loss function, epochs 1, 2, …: each row's loss
    /// that function of its example id, and a predicted class (1 for every third id, else 0).
    /// </summary>
    internal static async Task<IReadOnlyList<Tables.Table>> EpochsAsync(ApiFixture fixture, Tables.Table input, string runName, params Func<long, float>[] losses)
    {
        await using var run = await Runs.InitAsync(fixture.Context, "dash", runName, ifExists: RunIfExists.Overwrite);
        var ids = Enumerable.Range(0, (int)input.RowCount).Select(i => (long)i).ToArray();
        var tables = new List<Tables.Table>();
        for (var epoch = 1; epoch <= losses.Length; epoch++)
        {
            await using var writer = await run.CreateMetricsWriterAsync(input, new TableSchema { ["loss"] = new Float32Schema(), ["predicted"] = new CategoricalLabelSchema(["even", "odd"]) }, "eval",
                new Dictionary<string, object?> { ["epoch"] = epoch }, new MetricsWriterOptions { RequireFullCoverage = true }, TestContext.Current.CancellationToken);
            await writer.AddBatchAsync(new Dictionary<string, IList>
            {
                ["example_id"] = ids,
                ["loss"] = ids.Select(losses[epoch - 1]).ToArray(),
                ["predicted"] = ids.Select(i => i % 3 == 0 ? 1 : 0).ToArray(),
            }, TestContext.Current.CancellationToken);
            tables.Add(await writer.PublishAsync(TestContext.Current.CancellationToken));
        }
        return tables;
    }

    /// <summary>Epoch 1's loss of example <paramref name="id"/> in the comparison tests (of 30).</summary>
    internal static float EarlyLoss(long id) => id / 30f;

    /// <summary>Epoch 2's loss of example <paramref name="id"/> in the comparison tests (of 30).</summary>
    internal static float LateLoss(long id) => (id * 7 % 30) / 30f;

    /// <summary>B − A as the comparison computes it: the stored float32 losses as doubles.</summary>
    internal static double Delta(long id) => (double)LateLoss(id) - EarlyLoss(id);

    [Fact(Timeout = 90_000)]
    public async Task Rows_CompareTwoEpochsJoinedToInput_DeltaBMinusASortsFiltersAndCharts()
    {
        using var input = await ImagesAsync(fixture, 30, "compare-input");
        var epochs = await EpochsAsync(fixture, input, "compared", EarlyLoss, LateLoss);
        using var a = epochs[0];
        using var b = epochs[1];
        var query = $"table={Q(a.Url.Value)}&join=input&compare={Q(b.Url.Value)}";

        var (status, page) = await GetAsync($"/v1/rows?{query}&sort={Q("delta.loss")}&desc=true&limit=5");
        var (_, worse) = await GetAsync($"/v1/rows?{query}&filter={Q("delta.loss>0")}&filter={Q("label==odd")}&limit=0");
        var (_, histogram) = await GetAsync($"/v1/histogram?{query}&column={Q("delta.loss")}&bins=6");
        var (_, changed) = await GetAsync($"/v1/confusion?{query}&actual=predicted&predicted={Q("b.predicted")}");

        Assert.True(status == HttpStatusCode.OK, page.ToJsonString());
        Assert.Equal(b.Url.Value, (string)page["compare_table"]!);
        var columns = page["columns"]!.AsArray().ToDictionary(c => (string)c!["name"]!, c => ((string)c!["source"]!, (string)c["column"]!));
        Assert.Equal(("compare", "loss"), columns["b.loss"]);
        Assert.Equal(("delta", "loss"), columns["delta.loss"]);
        Assert.Equal(("input", "image"), columns["image"]);
        Assert.Equal(("metrics", "loss"), columns["loss"]);
        Assert.False(columns.ContainsKey("delta.epoch"));
        var expected = Enumerable.Range(0, 30).OrderByDescending(i => Delta(i)).ThenBy(i => i).Take(5).ToList();
        Assert.Equal(expected.Select(i => (long)i), page["items"]!.AsArray().Select(r => (long)r!["input_row"]!));
        Assert.All(page["items"]!.AsArray(), r =>
        {
            var id = (long)r!["input_row"]!;
            Assert.Equal(Delta(id), (double)r["values"]!["delta.loss"]!);
            Assert.Equal(LateLoss(id), (float)r["values"]!["b.loss"]!);
            Assert.Equal(2, (int)r["values"]!["b.epoch"]!);
            Assert.Equal(id, (long)r["compare_row"]!);
        });
        Assert.Equal(Enumerable.Range(0, 30).Count(i => Delta(i) > 0 && i % 2 == 1), (long)worse["matched"]!);
        Assert.Equal(30, histogram["counts"]!.AsArray().Sum(c => (long)c!));
        Assert.Equal(Enumerable.Range(0, 30).Min(i => Delta(i)), (double)histogram["min"]!);
        Assert.Equal(30, (long)changed["total"]!);
    }

    [Fact(Timeout = 90_000)]
    public async Task Rows_CompareBadInput_4xxNamingTheParameterAndBothInputs()
    {
        using var input = await ImagesAsync(fixture, 6, "compare-one");
        using var other = await ImagesAsync(fixture, 6, "compare-two");
        using var a = (await EpochsAsync(fixture, input, "compare-one", EarlyLoss))[0];
        using var elsewhere = (await EpochsAsync(fixture, other, "compare-two", LateLoss))[0];
        var url = Q(a.Url.Value);
        var outside = Q(Url.FromLocalPath(Path.GetTempPath()).Join("elsewhere/t").Value);

        foreach (var (path, expected, says) in new (string, HttpStatusCode, string)[]
        {
            ($"/v1/rows?table={url}&compare={Q(input.Url.Value)}", HttpStatusCode.BadRequest, $"compare: {input.Url} (B) is not a metrics table"),
            ($"/v1/rows?table={Q(input.Url.Value)}&compare={url}", HttpStatusCode.BadRequest, $"compare: {input.Url} (A) is not a metrics table"),
            ($"/v1/rows?table={url}&join=input&compare={Q(elsewhere.Url.Value)}", HttpStatusCode.BadRequest, $"describes the input table {input.Url} but {elsewhere.Url} describes {other.Url}"),
            ($"/v1/histogram?table={url}&compare={Q(elsewhere.Url.Value)}&column=loss", HttpStatusCode.BadRequest, "compare: "),
            ($"/v1/rows?table={url}&compare={Q(fixture.Root.Url.Join("projects/dash/runs/none/t").Value)}", HttpStatusCode.NotFound, "compare: there is no table at"),
            ($"/v1/rows?table={url}&compare={outside}", HttpStatusCode.Forbidden, "compare: "),
            ($"/v1/rows?table={url}&compare={url}&sort={Q("delta.weight")}", HttpStatusCode.NotFound, "no column 'delta.weight'"),
        })
        {
            var (status, body) = await GetAsync(path);
            Assert.True(status == expected, $"{path}: {(int)status} {body.ToJsonString()}");
            Assert.Contains(says, (string)body["error"]!, StringComparison.Ordinal);
        }
    }

    [Fact(Timeout = 90_000)]
    public async Task SampleMetrics_ThreeEpochs_TheExamplesValuesInEachInEpochOrder_NoRunsMetricsTable400()
    {
        using var input = await ImagesAsync(fixture, 12, "history-input");
        var epochs = await EpochsAsync(fixture, input, "history", id => id / 12f, id => id / 24f, id => id / 48f);
        try
        {
            var (status, history) = await GetAsync($"/v1/sample/metrics?table={Q(epochs[1].Url.Value)}&row=7");
            var (notMetrics, error) = await GetAsync($"/v1/sample/metrics?table={Q(input.Url.Value)}&row=7");
            var (outOfRange, range) = await GetAsync($"/v1/sample/metrics?table={Q(epochs[1].Url.Value)}&row=12");
            var (noRow, missing) = await GetAsync($"/v1/sample/metrics?table={Q(epochs[1].Url.Value)}");

            Assert.True(status == HttpStatusCode.OK, history.ToJsonString());
            Assert.Equal((7L, "dash/history", "eval", input.Url.Value), ((long)history["example_id"]!, (string)history["run"]!, (string)history["stream"]!, (string)history["input_table"]!));
            var tables = history["tables"]!.AsArray();
            Assert.Equal(epochs.Select(t => t.Url.Value), tables.Select(t => (string)t!["url"]!));
            Assert.Equal([1L, 2L, 3L], tables.Select(t => (long)t!["epoch"]!));
            Assert.Equal([7 / 12f, 7 / 24f, 7 / 48f], tables.Select(t => (float)t!["values"]!["loss"]!));
            Assert.All(tables, t => Assert.Equal(7, (long)t!["row"]!));
            Assert.Contains(history["columns"]!.AsArray(), c => (string)c!["name"]! == "predicted" && (string)c["classes"]!["1"]! == "odd");
            Assert.Equal(HttpStatusCode.BadRequest, notMetrics);
            Assert.Contains("table: ", (string)error["error"]!, StringComparison.Ordinal);
            Assert.Contains("is not a run's metrics table", (string)error["error"]!, StringComparison.Ordinal);
            Assert.Equal(HttpStatusCode.BadRequest, outOfRange);
            Assert.Contains("row: expected an integer in [0, 11]", (string)range["error"]!, StringComparison.Ordinal);
            Assert.Equal(HttpStatusCode.BadRequest, noRow);
            Assert.Contains("row: this query parameter is required", (string)missing["error"]!, StringComparison.Ordinal);
        }
        finally
        {
            foreach (var table in epochs)
            {
                table.Dispose();
            }
        }
    }

    [Fact(Timeout = 90_000)]
    public async Task Rows_MetricsJoinedToInput_FilterOnInputSortOnMetrics_EachItemItsInputRow()
    {
        using var input = await ImagesAsync(fixture, 30, "joined-input");
        using var metrics = await MetricsAsync(fixture, input, "joined");
        var url = Q(metrics.Url.Value);

        var (status, page) = await GetAsync($"/v1/rows?table={url}&join=input&filter={Q("label==odd")}&sort=loss&desc=true&limit=5");
        var (_, values) = await GetAsync($"/v1/values?table={url}&join=input&column=label&filter={Q("predicted==1")}");

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal(input.Url.Value, (string)page["input_table"]!);
        var expected = Enumerable.Range(0, 30).Where(i => i % 2 == 1).OrderByDescending(i => i * 7 % 30).ThenBy(i => i).Take(5).ToList();
        Assert.Equal(15, (long)page["matched"]!);
        Assert.Equal(expected.Select(i => (long)i), page["items"]!.AsArray().Select(r => (long)r!["input_row"]!));
        Assert.All(page["items"]!.AsArray(), r =>
        {
            Assert.Equal(1, (int)r!["values"]!["label"]!);
            Assert.Equal((long)r["input_row"]!, (long)r["values"]!["example_id"]!);
            Assert.Equal(((long)r["input_row"]! * 7 % 30) / 30f, (float)r["values"]!["loss"]!, 5);
        });
        var columns = page["columns"]!.AsArray();
        Assert.Equal(("input", "image"), ((string)columns.Single(c => (string)c!["name"]! == "image")!["source"]!, (string)columns.Single(c => (string)c!["name"]! == "image")!["column"]!));
        Assert.Equal("input", (string)columns.Single(c => (string)c!["name"]! == "weight")!["source"]!);
        Assert.Equal("metrics", (string)columns.Single(c => (string)c!["name"]! == "epoch")!["source"]!);
        Assert.Equal([("even", 5L), ("odd", 5L)], values["values"]!.AsArray().Select(v => ((string)v!["label"]!, (long)v["count"]!)));

        var (notMetrics, error) = await GetAsync($"/v1/rows?table={Q(input.Url.Value)}&join=input");
        var (otherJoin, other) = await GetAsync($"/v1/rows?table={url}&join=run");
        Assert.Equal(HttpStatusCode.BadRequest, notMetrics);
        Assert.Contains("is not a metrics table", (string)error["error"]!, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.BadRequest, otherJoin);
        Assert.Contains("'input' is the only join", (string)other["error"]!, StringComparison.Ordinal);
    }

    private async Task<(HttpStatusCode Status, JsonObject Body)> PostAsync(string path, string json, string contentType = "application/json")
    {
        using var content = new StringContent(json, System.Text.Encoding.UTF8, contentType);
        using var response = await fixture.Http.PostAsync(path, content, TestContext.Current.CancellationToken);
        var text = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
        return (response.StatusCode, (JsonObject)JsonNode.Parse(text)!);
    }

    [Fact(Timeout = 60_000)]
    public async Task Edits_WeightAndClassName_PublishARevision_StaleBaseConflictNamesTheHead_BadInputNothingPublished()
    {
        using var table = await TableAsync(12);
        var url = System.Text.Json.JsonSerializer.Serialize(table.Url.Value);

        var (status, revision) = await PostAsync("/v1/edits", $$$"""{"table": {{{url}}}, "rows": [1, 4], "weight": 0, "set": {"label": "bird"}}""");
        var (stale, conflict) = await PostAsync("/v1/edits", $$"""{"table": {{url}}, "rows": [2], "weight": 3}""");

        Assert.True(status == HttpStatusCode.OK, revision.ToJsonString());
        Assert.Equal(1, (int)revision["revision"]!);
        using (var edited = await Tables.Table.OpenAsync((string)revision["url"]!, cancellationToken: TestContext.Current.CancellationToken))
        {
            Assert.Equal(12, edited.RowCount);
            Assert.Equal(new[] { 1f, 0f, 1f, 1f, 0f }, Enumerable.Range(0, 5).Select(r => (float)edited.GetValue("weight", r)!));
            Assert.Equal(new object?[] { 0, 2, 2, 0, 2 }, Enumerable.Range(0, 5).Select(r => edited.GetValue("label", r)));
        }
        Assert.Equal(HttpStatusCode.Conflict, stale);
        Assert.Equal((string)revision["url"]!, (string)conflict["head"]!);

        var head = System.Text.Json.JsonSerializer.Serialize((string)revision["url"]!);
        foreach (var (body, expected, says) in new (string, HttpStatusCode, string)[]
        {
            ($$"""{"table": {{head}}, "rows": [12], "weight": 0}""", HttpStatusCode.BadRequest, "rows[0]: 12 is not a row"),
            ($$"""{"table": {{head}}, "rows": [], "weight": 0}""", HttpStatusCode.BadRequest, "select at least one row"),
            ($$"""{"table": {{head}}, "rows": [0], "weight": -1}""", HttpStatusCode.BadRequest, "weight: a number ≥ 0"),
            ($$$"""{"table": {{{head}}}, "rows": [0], "set": {"label": "horse"}}""", HttpStatusCode.BadRequest, "horse"),
            ($$$"""{"table": {{{head}}}, "rows": [0], "set": {"nope": 1}}""", HttpStatusCode.NotFound, "no column 'nope'"),
            ($$"""{"table": {{head}}, "rows": [0]}""", HttpStatusCode.BadRequest, "Nothing to edit"),
        })
        {
            var (code, error) = await PostAsync("/v1/edits", body);
            Assert.True(code == expected, $"{body}: {(int)code} {error.ToJsonString()}");
            Assert.Contains(says, (string)error["error"]!, StringComparison.Ordinal);
        }
        var (form, refused) = await PostAsync("/v1/edits", "table=x", "application/x-www-form-urlencoded");
        Assert.Equal(HttpStatusCode.UnsupportedMediaType, form);
        Assert.Contains("JSON body", (string)refused["error"]!, StringComparison.Ordinal);
        var (_, tables) = await GetAsync("/v1/tables?project=dash&dataset=data");
        Assert.DoesNotContain(tables["tables"]!.AsArray(), t => (int?)t!["revision"] >= 2); // no refused edit published a revision
    }

    [Fact(Timeout = 60_000)]
    public async Task RunLog_EveryEntryInOrder_MissingRun404()
    {
        await using (var run = await Runs.InitAsync(fixture.Context, "dash", "logged", ifExists: RunIfExists.Overwrite))
        {
            for (var epoch = 0; epoch < 3; epoch++)
            {
                await run.LogAsync(new Dictionary<string, object?> { ["epoch"] = epoch, ["train_loss"] = 1.0 / (epoch + 1), ["val_loss"] = 1.5 / (epoch + 1) });
            }
        }

        var (status, log) = await GetAsync("/v1/runs/log?project=dash&run=logged");
        var (missing, error) = await GetAsync("/v1/runs/log?project=dash&run=never");

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal([0.0, 1.0, 2.0], log["entries"]!.AsArray().Select(e => (double)e!["epoch"]!));
        Assert.Equal([1.5, 0.75, 0.5], log["entries"]!.AsArray().Select(e => (double)e!["val_loss"]!));
        Assert.Equal(HttpStatusCode.NotFound, missing);
        Assert.Contains("no run dash/never", (string)error["error"]!, StringComparison.Ordinal);
    }

    [Fact(Timeout = 90_000)]
    public async Task Confusion_LabelOfTheInputByPrediction_EveryRowInOneCell_WithClassNames()
    {
        using var input = await ImagesAsync(fixture, 30, "confusion-input");
        using var metrics = await MetricsAsync(fixture, input, "confusion");

        var (status, confusion) = await GetAsync($"/v1/confusion?table={Q(metrics.Url.Value)}&join=input&actual=label&predicted=predicted");
        var (_, filtered) = await GetAsync($"/v1/confusion?table={Q(metrics.Url.Value)}&join=input&actual=label&predicted=predicted&filter={Q("loss<0.5")}");
        var (missing, error) = await GetAsync($"/v1/confusion?table={Q(metrics.Url.Value)}&join=input&actual=label&predicted=guess");

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal(30, (long)confusion["total"]!);
        var cells = confusion["cells"]!.AsArray().ToDictionary(c => ((int)c!["actual"]!, (int)c["predicted"]!), c => (long)c!["count"]!);
        Assert.Equal(new Dictionary<(int, int), long> { [(0, 0)] = 10, [(0, 1)] = 5, [(1, 0)] = 10, [(1, 1)] = 5 }, cells);
        Assert.Equal("odd", (string)confusion["classes"]!["1"]!);
        Assert.Equal(Enumerable.Range(0, 30).Count(i => (i * 7 % 30) / 30f < 0.5f), (long)filtered["total"]!);
        Assert.Equal(HttpStatusCode.NotFound, missing);
        Assert.Contains("'guess'", (string)error["error"]!, StringComparison.Ordinal);
    }

    [Fact(Timeout = 60_000)]
    public async Task Rows_TableOverwrittenAtItsUrl_ReadAgainOnceTheRevalidationTimePassed()
    {
        var clock = new Microsoft.Extensions.Time.Testing.FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var host = await Hosting.TrainingApiHost.StartAsync(fixture.Context with { Time = clock }, new Hosting.TrainingApiOptions { Port = 0 });
        using var http = new HttpClient { BaseAddress = new Uri(host.Url) };
        async Task<long> RowsAsync(Tables.Table table) =>
            (long)JsonNode.Parse(await http.GetStringAsync($"/v1/rows?table={Q(table.Url.Value)}", TestContext.Current.CancellationToken))!["rows"]!;
        async Task<Tables.Table> WriteAsync(int rows) => await Tables.Table.FromDictAsync(new Dictionary<string, IEnumerable>
        {
            ["x"] = Enumerable.Range(0, rows).Select(i => (long)i).ToArray(),
        }, new ImportOptions { Project = "dash", Dataset = "data", Table = "rewritten", Root = fixture.Root.Url, Settings = fixture.Root.Settings, IfExists = Tables.IfExists.Overwrite });
        using (var first = await WriteAsync(5))
        {
            Assert.Equal(5, await RowsAsync(first));
        }

        using var second = await WriteAsync(7);
        var soon = await RowsAsync(second);
        clock.Advance(RankSessions.Revalidate);
        var later = await RowsAsync(second);

        Assert.Equal(5, soon); // served from memory within the revalidation time
        Assert.Equal(7, later);
    }
}
