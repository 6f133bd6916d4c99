using System.Buffers;
using System.Globalization;
using System.Text.Json;
using Tlc.DataTypes;
using Tlc.Schemas;
using Tlc.Tables.Arrow;

namespace Tlc.Tables.Export;

/// <summary>
/// COCO detection export: one annotations file with <c>info</c>, <c>images</c>, <c>annotations</c> and <c>categories</c>.
/// Image ids are table row indices; annotation ids count from 1 in row order, boxes in stored order. Categories are the
/// boxes column's value map (id = stored label value). Boxes become COCO <c>[x, y, width, height]</c> in pixels from
/// whatever format the column declares; image sizes come from the annotation (or, where it holds none, the image file).
/// Polygons of a <c>segmentation_polygons</c> column are written as <c>segmentation</c>, instance i with box i. Keypoints
/// of a <c>keypoints_2d</c> column (COCO person keypoints) are written as <c>keypoints</c> <c>[x, y, v]</c> × K (v from the
/// stored visibility, 2 where the column keeps none) with <c>num_keypoints</c> (points with v &gt; 0), instance i with box i;
/// every category then names the points (the schema's <c>point_names</c>, else <c>"0"</c>…<c>"K-1"</c>) and carries the
/// skeleton with COCO's 1-based point numbers.
/// </summary>
internal static class CocoExporter
{
    public static async Task<ExportResult> ExportAsync(Table table, string target, CocoExportOptions options, CancellationToken cancellationToken)
    {
        var columns = DetectionColumns.Resolve(table, target, "COCO", options.ImageColumn, options.BoxesColumn, options.SegmentationColumn, withSegmentation: true);
        var read = new List<string> { columns.Image, columns.Boxes };
        if (columns.Segmentation is { } seg)
        {
            read.Add(seg);
        }
        var keypointsColumn = KeypointsColumn(table, target, options.KeypointsColumn);
        var keypointsAt = -1;
        if (keypointsColumn is not null)
        {
            keypointsAt = read.Count;
            read.Add(keypointsColumn);
        }
        var keypointsSchema = keypointsColumn is null ? null : (AnnotationSchema)table.Schema[keypointsColumn];
        var scan = new ExportScan(table, options, target, read);
        var adapters = options.Adapters ?? table.Adapters;
        var url = adapters.Expand(new Url(target));
        var imageFolder = options.ImageFolder is { } folder ? adapters.Expand(new Url(folder)) : url.Parent;

        var annotationsBuffer = new ArrayBufferWriter<byte>();
        await using var stream = adapters.OpenWrite(url, options.WriteMode);
        await using (var writer = new Utf8JsonWriter(stream, JsonValues.Options(indented: false)))
        await using (var annotations = new Utf8JsonWriter(annotationsBuffer, JsonValues.Options(indented: false)))
        {
            writer.WriteStartObject();
            writer.WriteStartObject("info");
            writer.WriteString("description", $"Exported by Tlc from {table.Url}");
            writer.WriteString("version", table.Name);
            writer.WriteString("date_created", table.Object.Created.ToString("O", CultureInfo.InvariantCulture));
            writer.WriteEndObject();
            writer.WriteStartArray("licenses");
            writer.WriteEndArray();

            writer.WriteStartArray("images");
            annotations.WriteStartArray();
            long annotationId = 0;
            foreach (var (batch, rows) in scan.Batches(cancellationToken))
            {
                for (var r = 0; r < batch.Length; r++)
                {
                    var row = rows[r];
                    var image = ImageFiles.Resolve(table, ArrowValues.GetValue(batch.Column(0), r), row, columns.Image, target);
                    var boxesValue = ArrowValues.GetValue(batch.Column(1), r);
                    var boxes = boxesValue is null ? null : Read(() => BoundingBoxes2D.FromRowValue(boxesValue), table, target, row, columns.Boxes);
                    SegmentationPolygons? polygons = null;
                    if (columns.Segmentation is not null && ArrowValues.GetValue(batch.Column(2), r) is { } polygonValue)
                    {
                        polygons = Read(() => SegmentationPolygons.FromRowValue(polygonValue), table, target, row, columns.Segmentation);
                    }
                    Keypoints2D? keypoints = null;
                    if (keypointsAt >= 0 && ArrowValues.GetValue(batch.Column(keypointsAt), r) is { } keypointsValue)
                    {
                        keypoints = Read(() => Keypoints2D.FromRowValue(keypointsValue), table, target, row, keypointsColumn!);
                    }
                    var (width, height) = ImageSize(boxes, polygons, adapters: table.Adapters, image, table, row, target);

                    writer.WriteStartObject();
                    writer.WriteNumber("id", row);
                    writer.WriteString("file_name", options.AbsoluteImagePaths ? ImageFiles.Display(image) : image.RelativeTo(imageFolder) ?? ImageFiles.Display(image));
                    writer.WriteNumber("width", width);
                    writer.WriteNumber("height", height);
                    writer.WriteEndObject();

                    var boxList = boxes?.Boxes ?? [];
                    if (polygons is not null && polygons.Instances.Count != boxList.Count)
                    {
                        throw new ExportException(table.Url, target,
                            $"row {row}: '{columns.Boxes}' has {boxList.Count} box(es) but '{columns.Segmentation}' has {polygons.Instances.Count} instance(s); instance i must belong to box i.");
                    }
                    if (keypoints is not null && keypoints.Instances.Count != boxList.Count)
                    {
                        throw new ExportException(table.Url, target,
                            $"row {row}: '{columns.Boxes}' has {boxList.Count} box(es) but '{keypointsColumn}' has {keypoints.Instances.Count} instance(s); instance i must belong to box i.");
                    }
                    for (var i = 0; i < boxList.Count; i++)
                    {
                        var box = boxList[i];
                        var pixels = PixelBox.From(box, columns.Format, columns.Normalized, width, height);
                        annotations.WriteStartObject();
                        annotations.WriteNumber("id", ++annotationId);
                        annotations.WriteNumber("image_id", row);
                        annotations.WriteNumber("category_id", box.Label);
                        annotations.WriteStartArray("bbox");
                        annotations.WriteNumberValue((float)pixels.X);
                        annotations.WriteNumberValue((float)pixels.Y);
                        annotations.WriteNumberValue((float)pixels.Width);
                        annotations.WriteNumberValue((float)pixels.Height);
                        annotations.WriteEndArray();
                        var area = pixels.Width * pixels.Height;
                        if (polygons is not null)
                        {
                            var instance = polygons.Instances[i];
                            annotations.WriteStartArray("segmentation");
                            foreach (var polygon in instance.Polygons)
                            {
                                annotations.WriteStartArray();
                                foreach (var v in polygon)
                                {
                                    annotations.WriteNumberValue(v);
                                }
                                annotations.WriteEndArray();
                            }
                            annotations.WriteEndArray();
                            if (instance.Polygons.Count > 0)
                            {
                                area = instance.Polygons.Sum(PolygonArea);
                            }
                        }
                        annotations.WriteNumber("area", (float)area);
                        annotations.WriteNumber("iscrowd", box.IsCrowd == true ? 1 : 0);
                        if (box.Confidence is { } score)
                        {
                            annotations.WriteNumber("score", score);
                        }
                        if (keypoints is not null)
                        {
                            WriteKeypoints(annotations, keypoints.Instances[i], Keypoints2D.NumKeypoints(keypointsSchema!), table, target, row, keypointsColumn!);
                        }
                        annotations.WriteEndObject();
                    }
                }
            }
            writer.WriteEndArray();
            annotations.WriteEndArray();
            await annotations.FlushAsync(cancellationToken).ConfigureAwait(false);
            writer.WritePropertyName("annotations");
            writer.WriteRawValue(annotationsBuffer.WrittenSpan, skipInputValidation: true);

            writer.WriteStartArray("categories");
            foreach (var (id, element) in columns.Classes)
            {
                writer.WriteStartObject();
                writer.WriteNumber("id", id);
                writer.WriteString("name", element.InternalName);
                if (keypointsSchema is not null)
                {
                    var count = Keypoints2D.NumKeypoints(keypointsSchema);
                    writer.WriteStartArray("keypoints");
                    foreach (var name in Keypoints2D.PointNames(keypointsSchema) ?? Enumerable.Range(0, count).Select(k => k.ToString(CultureInfo.InvariantCulture)).ToList())
                    {
                        writer.WriteStringValue(name);
                    }
                    writer.WriteEndArray();
                    writer.WriteStartArray("skeleton");
                    foreach (var (from, to) in Keypoints2D.Skeleton(keypointsSchema) ?? [])
                    {
                        writer.WriteStartArray();
                        writer.WriteNumberValue(from + 1);
                        writer.WriteNumberValue(to + 1);
                        writer.WriteEndArray();
                    }
                    writer.WriteEndArray();
                }
                writer.WriteEndObject();
            }
            writer.WriteEndArray();
            writer.WriteEndObject();
            await writer.FlushAsync(cancellationToken).ConfigureAwait(false);
        }
        await stream.CommitAsync(cancellationToken).ConfigureAwait(false);
        return new ExportResult(url, scan.Rows, scan.SkippedRows);
    }

    /// <summary>The keypoints column named, else the only <c>keypoints_2d</c> column, else none.</summary>
    private static string? KeypointsColumn(Table table, string target, string? named)
    {
        static bool Fits(ColumnSchema schema) => schema is AnnotationSchema { Type: Keypoints2D.TypeName };
        if (named is not null)
        {
            var schema = table.Schema.Find(named) ?? throw new ExportException(table.Url, target, $"there is no column '{named}' (columns: {string.Join(", ", table.Schema.Names)}).");
            return Fits(schema) ? named : throw new ExportException(table.Url, target, $"the column '{named}' ({schema.Describe()}) is not a keypoints_2d column.");
        }
        var candidates = table.Schema.Where(kv => Fits(kv.Value)).Select(kv => kv.Key).ToList();
        return candidates.Count switch
        {
            0 => null,
            1 => candidates[0],
            _ => throw new ExportException(table.Url, target, $"the table has several keypoints_2d columns ({string.Join(", ", candidates)}): name one with KeypointsColumn."),
        };
    }

    /// <summary>An annotation's <c>keypoints</c> (<c>[x, y, v]</c> per point) and <c>num_keypoints</c>.</summary>
    private static void WriteKeypoints(Utf8JsonWriter annotations, KeypointInstance instance, int count, Table table, string target, long row, string column)
    {
        if (instance.Points.Count != 2 * count || (instance.Visibility is { } v && v.Count != count))
        {
            throw new ExportException(table.Url, target,
                $"row {row}, column '{column}': an instance has {instance.Points.Count / 2} points (and {instance.Visibility?.Count.ToString(CultureInfo.InvariantCulture) ?? "no"} visibilities); the schema declares {count}.");
        }
        var labelled = 0;
        annotations.WriteStartArray("keypoints");
        for (var k = 0; k < count; k++)
        {
            var visibility = instance.Visibility is { } flags ? flags[k] : (sbyte)2;
            annotations.WriteNumberValue(instance.Points[2 * k]);
            annotations.WriteNumberValue(instance.Points[(2 * k) + 1]);
            annotations.WriteNumberValue(visibility);
            labelled += visibility > 0 ? 1 : 0;
        }
        annotations.WriteEndArray();
        annotations.WriteNumber("num_keypoints", labelled);
    }

    internal static T Read<T>(Func<T> read, Table table, string target, long row, string column)
    {
        try
        {
            return read();
        }
        catch (FormatException e)
        {
            throw new ExportException(table.Url, target, $"row {row}, column '{column}': {e.Message}", e);
        }
    }

    /// <summary>The image size an annotation records, else the size of the image file.</summary>
    internal static (int Width, int Height) ImageSize(BoundingBoxes2D? boxes, SegmentationPolygons? polygons, Urls.UrlAdapterRegistry adapters, Url image,
        Table table, long row, string target)
    {
        var (w, h) = boxes is { ImageWidth: > 0, ImageHeight: > 0 } ? (boxes.ImageWidth, boxes.ImageHeight)
            : polygons is { ImageWidth: > 0, ImageHeight: > 0 } ? (polygons.ImageWidth, polygons.ImageHeight)
            : (0f, 0f);
        return w > 0 && h > 0
            ? ((int)MathF.Round(w), (int)MathF.Round(h))
            : ImageFiles.ReadSize(adapters, image, table, row, target);
    }

    /// <summary>The area of a flat x0, y0, x1, y1, ... polygon (shoelace formula).</summary>
    private static double PolygonArea(IReadOnlyList<float> xy)
    {
        var n = xy.Count / 2;
        double twice = 0;
        for (var i = 0; i < n; i++)
        {
            var j = (i + 1) % n;
            twice += ((double)xy[2 * i] * xy[(2 * j) + 1]) - ((double)xy[2 * j] * xy[(2 * i) + 1]);
        }
        return Math.Abs(twice) / 2;
    }
}
