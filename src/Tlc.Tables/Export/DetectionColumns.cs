using Tlc.DataTypes;
using Tlc.Schemas;

namespace Tlc.Tables.Export;

/// <summary>
/// The columns a detection export (COCO, YOLO) reads: an image column, a boxes column (<c>bounding_boxes_2d</c> with its box
/// format, normalisation and class value map; <c>oriented_bounding_boxes_2d</c> for YOLO OBB) and optionally a
/// <c>segmentation_polygons</c> column. Named columns are checked;
/// unnamed ones are found by schema, and a table that does not fit is refused with a message saying what is missing.
/// </summary>
internal sealed class DetectionColumns
{
    private DetectionColumns(string image, string boxes, AnnotationSchema boxesSchema, string? segmentation)
    {
        Image = image;
        Boxes = boxes;
        Segmentation = segmentation;
        Format = BoxFormats.Parse(boxesSchema.Attribute("box_format", "xyxy"));
        Normalized = boxesSchema.Attribute("normalized", "false") == "true";
        Classes = boxesSchema.Classes ?? ValueMap.FromClasses([]);
    }

    public string Image { get; }

    public string Boxes { get; }

    public string? Segmentation { get; }

    public BoxFormat Format { get; }

    public bool Normalized { get; }

    public ValueMap Classes { get; }

    public static DetectionColumns Resolve(Table table, string target, string format, string? image, string? boxes, string? segmentation, bool withSegmentation,
        string boxesType = BoundingBoxes2D.TypeName)
    {
        ExportException Unfit(string problem) => new(table.Url, target, $"{problem} A {format} export needs an image column (ImageSchema) and a {boxesType} column.");
        var columns = string.Join(", ", table.Schema.Select(kv => $"{kv.Key} ({kv.Value.Type})"));

        string? Find(string? named, Func<ColumnSchema, bool> fits, string what, string option, bool required)
        {
            if (named is not null)
            {
                var schema = table.Schema.Find(named) ?? throw Unfit($"there is no column '{named}' (columns: {columns}).");
                return fits(schema) ? named : throw Unfit($"the column '{named}' ({schema.Describe()}) is not {what}.");
            }
            var candidates = table.Schema.Where(kv => fits(kv.Value)).Select(kv => kv.Key).ToList();
            return candidates.Count switch
            {
                1 => candidates[0],
                0 when !required => null,
                0 => throw Unfit($"the table has no {what} (columns: {columns})."),
                _ => throw Unfit($"the table has several {what}s ({string.Join(", ", candidates)}): name one with {option}."),
            };
        }

        var imageColumn = Find(image, s => s is ImageSchema, "image column", "ImageColumn", required: true)!;
        var boxesColumn = Find(boxes, s => s is AnnotationSchema a && a.Type == boxesType, $"{boxesType} column", "BoxesColumn", required: true)!;
        var segmentationColumn = withSegmentation
            ? Find(segmentation, s => s is AnnotationSchema { Type: SegmentationPolygons.TypeName }, "segmentation_polygons column", "SegmentationColumn", required: segmentation is not null)
            : null;
        var boxesSchema = (AnnotationSchema)table.Schema[boxesColumn];
        if (boxesSchema.Classes is null)
        {
            throw Unfit($"the column '{boxesColumn}' has no value map naming its labels.");
        }
        return new DetectionColumns(imageColumn, boxesColumn, boxesSchema, segmentationColumn);
    }
}
