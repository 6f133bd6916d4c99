using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Microsoft.Playwright;
using Tlc.DataTypes;
using Tlc.Schemas;
using Tlc.Tables.Import;
using Tlc.Testing;

namespace Tlc.Api.Tests;

/// <summary>
/// Annotations drawn over images in a real browser (Debian's Chromium, headless, through Playwright): a COCO import of the
/// labelme set (boxes and polygons) and a small table of normalised boxes, oriented boxes, keypoints and RLE masks — the
/// overlay's shapes checked against the stored values. Screenshots go to <c>TestResults/dashboard</c> beside the test assembly.
/// </summary>
public sealed class DashboardAnnotationTests(ApiFixture fixture) : IClassFixture<ApiFixture>
{
    private static string Screenshots { get; } = Directory.CreateDirectory(Path.Combine(AppContext.BaseDirectory, "TestResults", "dashboard")).FullName;

    private static float Attr(string? value) => float.Parse(value!, CultureInfo.InvariantCulture);

    private static async Task<(IPlaywright Playwright, IBrowser Browser, IPage Page, List<string> Errors)> OpenAsync()
    {
        var playwright = await Playwright.CreateAsync();
        var browser = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions { ExecutablePath = DashboardBrowser.Chromium, Headless = true, Args = DashboardBrowser.Args });
        var page = await browser.NewPageAsync(new BrowserNewPageOptions { ViewportSize = new ViewportSize { Width = 1280, Height = 900 } });
        var errors = new List<string>();
        page.PageError += (_, error) => errors.Add(error);
        return (playwright, browser, page, errors);
    }

    /// <summary>labelme's COCO set imported as its own table (<paramref name="name"/>: a table the API has not served before).</summary>
    private Task<Tables.Table> CocoAsync(string name) => Tables.Table.FromCocoAsync(Path.Combine(Fixtures.LabelmeCoco, "annotations.json"), null, new CocoImportOptions
    {
        Project = "annotations", Dataset = "labelme", Table = name, Root = fixture.Root.Url, Settings = fixture.Root.Settings,
        IfExists = Tables.IfExists.Overwrite, Task = CocoTask.Segment,
    }, cancellationToken: TestContext.Current.CancellationToken);

    [Fact(Timeout = 120_000)]
    public async Task AnnotationColumns_Rows_DescribeAttributesAndClassesApartFromLabelClasses()
    {
        using var table = await CocoAsync("coco-1");
        var page = await fixture.Http.GetFromJsonAsync<JsonObject>($"/v1/rows?table={Uri.EscapeDataString(table.Url.Value)}&limit=1", TestContext.Current.CancellationToken);
        var columns = page!["columns"]!.AsArray().ToDictionary(c => (string)c!["name"]!, c => c!.AsObject());
        Assert.Equal("bounding_boxes_2d", (string)columns["bbs"]["type"]!);
        Assert.Equal("xywh", (string)columns["bbs"]["annotation"]!["attributes"]!["box_format"]!);
        Assert.Equal("false", (string)columns["bbs"]["annotation"]!["attributes"]!["normalized"]!);
        Assert.Equal("tv/monitor", (string)columns["bbs"]["annotation"]!["classes"]!["20"]!);
        Assert.Equal("tv/monitor", (string)columns["segmentations"]["annotation"]!["classes"]!["20"]!);
        // Label pickers and the confusion matrix look for "classes": annotation columns must not offer them.
        Assert.Null(columns["bbs"]["classes"]);
        Assert.Null(columns["image"]["annotation"]);
    }

    [Fact(Timeout = 180_000)]
    public async Task Annotations_CocoLabelmeSample_OneShapePerAnnotationAtTheStoredPixels()
    {
        using var table = await CocoAsync("coco-2");
        var classes = ((AnnotationSchema)table.Schema["bbs"]).Classes!;
        var (playwright, browser, page, errors) = await OpenAsync();
        using var _ = playwright;
        await using var __ = browser;
        for (var row = 0; row < table.RowCount; row++)
        {
            var sample = table[row];
            var boxes = Assert.IsType<BoundingBoxes2D>(sample["bbs"]);
            var polygons = Assert.IsType<SegmentationPolygons>(sample["segmentations"]);
            Assert.NotEmpty(boxes.Boxes);
            await page.GotoAsync($"{fixture.Host.Url}/#/sample?url={Uri.EscapeDataString(table.Url.Value)}&row={row}");
            var overlay = page.Locator("dd[data-column='image'] svg[data-testid='annotations']");
            await Assertions.Expect(overlay).ToBeVisibleAsync();
            // The page changes rows by its address's fragment: wait (retrying) until it shows this row's overlay, not the last one's.
            await Assertions.Expect(overlay).ToHaveAttributeAsync("viewBox",
                $"0 0 {boxes.ImageWidth.ToString(CultureInfo.InvariantCulture)} {boxes.ImageHeight.ToString(CultureInfo.InvariantCulture)}");

            // One box per annotation, in table order, with its class name and COCO's x, y, width, height in image pixels.
            var drawn = overlay.Locator("g.box");
            await Assertions.Expect(drawn).ToHaveCountAsync(boxes.Boxes.Count);
            for (var i = 0; i < boxes.Boxes.Count; i++)
            {
                var box = boxes.Boxes[i];
                var name = classes[box.Label].InternalName;
                Assert.Equal(name, await drawn.Nth(i).GetAttributeAsync("data-label"));
                Assert.Equal(name, await drawn.Nth(i).Locator("text").TextContentAsync());
                var rect = drawn.Nth(i).Locator("rect");
                Assert.Equal(box.X0, Attr(await rect.GetAttributeAsync("x")), 3);
                Assert.Equal(box.Y0, Attr(await rect.GetAttributeAsync("y")), 3);
                Assert.Equal(box.X1, Attr(await rect.GetAttributeAsync("width")), 3);
                Assert.Equal(box.Y1, Attr(await rect.GetAttributeAsync("height")), 3);
            }

            // One polygon group per instance; its first point where the table has it.
            var outlines = overlay.Locator("g.polygon");
            Assert.Equal(polygons.Instances.Count, await outlines.CountAsync());
            Assert.Equal(polygons.Instances.Select(p => classes[p.Label].InternalName), await outlines.EvaluateAllAsync<string[]>("gs => gs.map(g => g.dataset.label)"));
            var firstPoint = (await outlines.First.Locator("polygon").First.GetAttributeAsync("points"))!.Split(' ')[0].Split(',');
            Assert.Equal(polygons.Instances[0].Polygons[0][0], Attr(firstPoint[0]), 3);
            Assert.Equal(polygons.Instances[0].Polygons[0][1], Attr(firstPoint[1]), 3);

            // The image loads, and the overlay covers it exactly.
            await ImageLoadedAsync(page, "dd[data-column='image'] img");
            var image = (await page.Locator("dd[data-column='image'] img").BoundingBoxAsync())!;
            var svgBox = (await overlay.BoundingBoxAsync())!;
            Assert.Equal((image.X, image.Y, image.Width, image.Height), (svgBox.X, svgBox.Y, svgBox.Width, svgBox.Height));
            Assert.DoesNotContain("null", await page.Locator("main").EvaluateAsync<string>("m => [...m.childNodes].filter(n => n.nodeType === Node.TEXT_NODE).map(n => n.textContent).join('')"), StringComparison.Ordinal);
            await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(Screenshots, $"annotations-coco-{row}.png"), FullPage = true });
        }

        // The toggle hides and shows the overlay.
        await page.GetByTestId("toggle-annotations").ClickAsync();
        await Assertions.Expect(page.Locator("svg[data-testid='annotations']")).ToBeHiddenAsync();
        await page.GetByTestId("toggle-annotations").ClickAsync();
        await Assertions.Expect(page.Locator("svg[data-testid='annotations']")).ToBeVisibleAsync();

        // The grid's thumbnails carry the same shapes.
        await page.GotoAsync($"{fixture.Host.Url}/#/table?url={Uri.EscapeDataString(table.Url.Value)}");
        var thumb = page.Locator("tr[data-row='0'] td[data-column='image'] svg[data-testid='annotations']");
        await Assertions.Expect(thumb).ToBeVisibleAsync();
        Assert.Equal(Assert.IsType<BoundingBoxes2D>(table[0]["bbs"]).Boxes.Count, await thumb.Locator("g.box").CountAsync());
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(Screenshots, "annotations-coco-grid.png"), FullPage = true });
        Assert.Empty(errors);
    }

    [Fact(Timeout = 180_000)]
    public async Task Annotations_SyntheticKeypointsOrientedBoxesMasks_DrawnFromStoredValues_BadBoxKeepsPage()
    {
        const int Width = 40, Height = 20;
        string[] classes = ["person", "car"];
        var mask = new byte[Width * Height];
        for (var y = 2; y < 7; y++)
        {
            for (var x = 30; x < 35; x++)
            {
                mask[(y * Width) + x] = 1;
            }
        }
        await using var writer = await Tables.TableWriter.CreateAsync(new Tables.TableWriterOptions
        {
            Schema = new TableSchema
            {
                ["image"] = new ImageSchema(),
                ["boxes"] = BoundingBoxes2D.Schema(classes, BoxFormat.Cxcywh, normalized: true),
                ["obbs"] = OrientedBoundingBoxes2D.Schema(classes),
                ["points"] = Keypoints2D.Schema(3, classes, skeleton: [(0, 1), (0, 2)]),
                ["masks"] = SegmentationMasks.Schema(classes),
            },
            Project = "annotations", Dataset = "synthetic", Table = "kinds", Root = fixture.Root.Url, Settings = fixture.Root.Settings, IfExists = Tables.IfExists.Overwrite,
        }, TestContext.Current.CancellationToken);
        writer.AddRow(new Dictionary<string, object?>
        {
            ["image"] = new Tables.Samples.ImageSample(Width, Height, Tables.Samples.ImageColorType.Rgba8888, Enumerable.Repeat((byte)200, Width * Height * 4).ToArray()),
            // A box inside the image and one far outside it.
            ["boxes"] = new BoundingBoxes2D(Width, Height, [new BoundingBox2D(0.5f, 0.5f, 0.5f, 0.5f, 1), new BoundingBox2D(3f, 3f, 0.5f, 0.5f, 0)]),
            ["obbs"] = new OrientedBoundingBoxes2D(Width, Height, [new OrientedBoundingBox2D(20, 10, 10, 4, MathF.PI / 2, 0)]),
            // Point 1 is not labelled: skipped, and so is the skeleton edge to it.
            ["points"] = new Keypoints2D(Width, Height, [new KeypointInstance([5, 5, 10, 10, 15, 15], 0, [2, 0, 1])]),
            ["masks"] = SegmentationMasks.FromDense(Width, Height, [(mask, 1)]),
        });
        using var table = await writer.FinalizeAsync(TestContext.Current.CancellationToken);
        var (playwright, browser, page, errors) = await OpenAsync();
        using var _ = playwright;
        await using var __ = browser;
        await page.GotoAsync($"{fixture.Host.Url}/#/sample?url={Uri.EscapeDataString(table.Url.Value)}&row=0");
        var overlay = page.Locator("svg[data-testid='annotations']");
        await Assertions.Expect(overlay).ToBeVisibleAsync();

        // Normalised centre boxes in pixels: (0.5, 0.5, 0.5, 0.5) of 40×20 is x 10, y 5, 20 × 10; the stray box is drawn, off the image.
        var boxes = overlay.Locator("g.box[data-column='boxes']");
        Assert.Equal(2, await boxes.CountAsync());
        Assert.Equal(["car", "person"], await boxes.EvaluateAllAsync<string[]>("gs => gs.map(g => g.querySelector('text').textContent)"));
        var rect = boxes.First.Locator("rect");
        var drawn = new[] { Attr(await rect.GetAttributeAsync("x")), Attr(await rect.GetAttributeAsync("y")), Attr(await rect.GetAttributeAsync("width")), Attr(await rect.GetAttributeAsync("height")) };
        Assert.Equal(new[] { 10f, 5f, 20f, 10f }, drawn);

        // The oriented box: its rectangle about the centre, turned a quarter counter-clockwise.
        var oriented = overlay.Locator("g.oriented-box");
        var turn = System.Text.RegularExpressions.Regex.Match((await oriented.GetAttributeAsync("transform"))!, @"^rotate\((\S+) 20 10\)$");
        Assert.True(turn.Success);
        Assert.Equal(-90, Attr(turn.Groups[1].Value), 3);
        Assert.Equal("15", await oriented.Locator("rect").GetAttributeAsync("x"));

        // Keypoints: the two labelled points (the hidden one hollow) and the one skeleton edge between them.
        var points = overlay.Locator("g.keypoints circle");
        Assert.Equal(["0", "2"], await points.EvaluateAllAsync<string[]>("cs => cs.map(c => c.dataset.point)"));
        Assert.Equal("none", await points.Nth(1).GetAttributeAsync("fill"));
        var line = overlay.Locator("g.keypoints line");
        Assert.Equal(1, await line.CountAsync());
        Assert.Equal(("5", "15"), (await line.GetAttributeAsync("x1"), await line.GetAttributeAsync("x2")));

        // The mask decoded from column-major RLE into the canvas: foreground inside the square, clear elsewhere.
        var canvas = page.Locator("canvas.annotation-mask");
        Assert.Equal("1", await canvas.GetAttributeAsync("data-instances"));
        Assert.Equal(new[] { 110, 0, 0 }, await canvas.EvaluateAsync<int[]>("c => [[32, 4], [4, 4], [32, 12]].map(([x, y]) => c.getContext('2d').getImageData(x, y, 1, 1).data[3])"));
        Assert.Equal("car", await overlay.Locator("g.mask").GetAttributeAsync("data-label"));
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(Screenshots, "annotations-synthetic.png"), FullPage = true });
        Assert.Empty(errors);
    }

    /// <summary>Waits until the image <paramref name="selector"/> has loaded; when it does not, fails with what its request answered.</summary>
    internal static async Task ImageLoadedAsync(IPage page, string selector)
    {
        try
        {
            await page.WaitForFunctionAsync($"() => {{ const i = document.querySelector(\"{selector}\"); return i && i.complete && i.naturalWidth > 0; }}",
                null, new PageWaitForFunctionOptions { Timeout = 30_000 });
        }
        catch (TimeoutException)
        {
            var answer = await page.EvaluateAsync<string>($"async () => {{ const i = document.querySelector(\"{selector}\"); const r = await fetch(i.src); return `${{i.src}}: ${{r.status}} ${{(await r.text()).slice(0, 300)}}`; }}");
            Assert.Fail($"The image did not load: {answer}");
        }
    }
}
