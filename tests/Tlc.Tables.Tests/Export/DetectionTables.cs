using Tlc.DataTypes;
using Tlc.Schemas;
using Tlc.Testing;

namespace Tlc.Tables.Tests.Export;

/// <summary>One row of a detection test table: a real labelme COCO JPEG and the annotations defined for it.</summary>
internal sealed record DetectionRow(string Image, BoundingBoxes2D? Boxes, SegmentationPolygons? Polygons = null);

/// <summary>Detection tables over the real JPEGs of the labelme COCO fixture, with boxes the tests define.</summary>
internal static class DetectionTables
{
    /// <summary>COCO-style category ids: not 0..n-1, so class-id mapping is exercised.</summary>
    public static readonly ValueMap Categories = ValueMap.FromNames([new(1, "person"), new(3, "car"), new(7, "dog")]);

    /// <summary>The three JPEGs and their pixel sizes.</summary>
    public static readonly (string File, int Width, int Height)[] Images =
    [
        ("2011_000003.jpg", 500, 338),
        ("2011_000006.jpg", 500, 375),
        ("2011_000025.jpg", 500, 375),
    ];

    public static string ImagePath(int i) => Path.Combine(Fixtures.LabelmeCoco, "JPEGImages", Images[i].File);

    /// <summary>Rows over the three images, boxes given in pixel corners (xyxy).</summary>
    public static List<DetectionRow> PixelRows() =>
    [
        new(ImagePath(0), new BoundingBoxes2D(500, 338, [new(191, 107, 314, 328, 1), new(10.5f, 20.25f, 60, 90, 7) { IsCrowd = true }])),
        new(ImagePath(1), new BoundingBoxes2D(500, 375, [])),
        new(ImagePath(2), new BoundingBoxes2D(500, 375, [new(0, 0, 500, 375, 3), new(100, 50, 150, 100, 1), new(400.75f, 300, 499, 374.5f, 7)])),
    ];

    public static async Task<Table> WriteAsync(TempRoot root, IReadOnlyList<DetectionRow> rows, string name = "detections",
        BoxFormat format = BoxFormat.Xyxy, bool normalized = false, bool withPolygons = false, bool secondBoxesColumn = false)
    {
        var schema = new TableSchema
        {
            ["image"] = new ImageSchema(ImageSampleType.Jpeg),
            ["bbs"] = BoundingBoxes2D.Schema(Categories, format, normalized, includeIsCrowd: true).AsNullable(),
        };
        if (withPolygons)
        {
            schema.Add("segmentation", SegmentationPolygons.Schema(Categories).AsNullable());
        }
        if (secondBoxesColumn)
        {
            schema.Add("predicted", BoundingBoxes2D.Schema(Categories, format, normalized).AsNullable());
        }
        await using var writer = await TableWriter.CreateAsync(new TableWriterOptions
        {
            Schema = schema, Project = "p", Dataset = "d", Table = name, Root = root.Url, Settings = root.Settings,
        });
        foreach (var row in rows)
        {
            // The schema stores iscrowd for every box.
            var boxes = row.Boxes is null ? null : row.Boxes with { Boxes = row.Boxes.Boxes.Select(b => b with { IsCrowd = b.IsCrowd ?? false }).ToList() };
            var values = new Dictionary<string, object?> { ["image"] = row.Image, ["bbs"] = boxes };
            if (withPolygons)
            {
                values["segmentation"] = row.Polygons;
            }
            writer.AddRow(values);
        }
        return await writer.FinalizeAsync();
    }
}
