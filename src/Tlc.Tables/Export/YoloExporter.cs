using System.Globalization;
using System.Text;
using Tlc.DataTypes;
using Tlc.Schemas;
using Tlc.Tables.Arrow;
using Tlc.Tables.Import;
using Tlc.Tables.Urls;
using YamlDotNet.Serialization;
using YamlDotNet.Serialization.NamingConventions;

namespace Tlc.Tables.Export;

/// <summary>
/// YOLO detection export into a folder: <c>images/</c> (copies of, or links to, the image files), <c>labels/&lt;stem&gt;.txt</c>
/// with one <c>class cx cy w h</c> line per box (normalised to the image size) — or, for oriented boxes (Ultralytics' OBB
/// format), one <c>class x1 y1 x2 y2 x3 y3 x4 y4</c> line per box with its corners (<see cref="OrientedBoundingBox2D.Corners"/>,
/// normalised; a corner may lie outside [0, 1] where the box leaves the image) — and <c>data.yaml</c> naming the classes.
/// Class ids are positions in the sorted value map of the boxes column; <c>data.yaml</c> records the mapping back to the
/// stored label values under <c>label_values</c>. An image file name used twice gets the row index appended. Every file is
/// published atomically and <c>data.yaml</c> last; a failed export deletes what it wrote.
/// </summary>
internal static class YoloExporter
{
    public static async Task<ExportResult> ExportAsync(Table table, string target, YoloExportOptions options, CancellationToken cancellationToken)
    {
        var task = ResolveTask(table, target, options);
        var columns = DetectionColumns.Resolve(table, target, task == YoloTask.Obb ? "YOLO OBB" : "YOLO", options.ImageColumn, options.BoxesColumn, null,
            withSegmentation: false, task == YoloTask.Obb ? OrientedBoundingBoxes2D.TypeName : BoundingBoxes2D.TypeName);
        var scan = new ExportScan(table, options, target, [columns.Image, columns.Boxes]);
        var adapters = options.Adapters ?? table.Adapters;
        var folder = adapters.Expand(new Url(target));
        var classIds = columns.Classes.Keys.Select((value, index) => (value, index)).ToDictionary(p => p.value, p => p.index);
        var yaml = folder.Join("data.yaml");
        if (!options.Overwrite && await adapters.ExistsAsync(yaml, cancellationToken).ConfigureAwait(false))
        {
            throw new UrlAlreadyExistsException(yaml);
        }
        var written = new List<Url>();
        var names = new Dictionary<string, Url>(StringComparer.Ordinal);
        try
        {
            foreach (var (batch, rows) in scan.Batches(cancellationToken))
            {
                for (var r = 0; r < batch.Length; r++)
                {
                    var row = rows[r];
                    var image = ImageFiles.Resolve(table, ArrowValues.GetValue(batch.Column(0), r), row, columns.Image, target);
                    var boxesValue = ArrowValues.GetValue(batch.Column(1), r);
                    var text = new StringBuilder();
                    if (task == YoloTask.Obb)
                    {
                        var oriented = boxesValue is null ? null
                            : CocoExporter.Read(() => OrientedBoundingBoxes2D.FromRowValue(boxesValue), table, target, row, columns.Boxes);
                        var (imageWidth, imageHeight) = oriented is { ImageWidth: > 0, ImageHeight: > 0 }
                            ? ((int)MathF.Round(oriented.ImageWidth), (int)MathF.Round(oriented.ImageHeight))
                            : ImageFiles.ReadSize(table.Adapters, image, table, row, target);
                        foreach (var box in oriented?.Boxes ?? [])
                        {
                            text.Append(ClassId(box.Label).ToString(CultureInfo.InvariantCulture));
                            foreach (var (x, y) in box.Corners())
                            {
                                text.Append(' ').Append(Format(x / imageWidth)).Append(' ').Append(Format(y / imageHeight));
                            }
                            text.Append('\n');
                        }
                    }
                    else
                    {
                        var boxes = boxesValue is null ? null : CocoExporter.Read(() => BoundingBoxes2D.FromRowValue(boxesValue), table, target, row, columns.Boxes);
                        var (width, height) = CocoExporter.ImageSize(boxes, null, table.Adapters, image, table, row, target);
                        foreach (var box in boxes?.Boxes ?? [])
                        {
                            var (cx, cy, w, h) = PixelBox.From(box, columns.Format, columns.Normalized, width, height).ToNormalizedCenter(width, height);
                            text.Append(ClassId(box.Label).ToString(CultureInfo.InvariantCulture)).Append(' ')
                                .Append(Format(cx)).Append(' ').Append(Format(cy)).Append(' ')
                                .Append(Format(w)).Append(' ').Append(Format(h)).Append('\n');
                        }
                    }

                    int ClassId(int label) => classIds.TryGetValue(label, out var classId) ? classId
                        : throw new ExportException(table.Url, target,
                            $"row {row}, column '{columns.Boxes}': label {label} is not in the value map ({string.Join(", ", columns.Classes.Keys)}).");

                    var name = UniqueName(names, image, row);
                    var imageTarget = folder.Join($"images/{name}");
                    await PlaceImageAsync(table.Adapters, image, adapters, imageTarget, options, written, cancellationToken).ConfigureAwait(false);

                    var labels = folder.Join($"labels/{Path.GetFileNameWithoutExtension(name)}.txt");
                    await adapters.WriteAllBytesAsync(labels, Encoding.UTF8.GetBytes(text.ToString()), options.WriteMode, cancellationToken).ConfigureAwait(false);
                    written.Add(labels);
                }
            }
            await adapters.WriteAllBytesAsync(yaml, Encoding.UTF8.GetBytes(DataYaml(table, columns)), options.WriteMode, cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            foreach (var url in written)
            {
                try
                {
                    await adapters.DeleteAsync(url, CancellationToken.None).ConfigureAwait(false);
                }
                catch (IOException)
                {
                    // Best effort.
                }
            }
            throw;
        }
        return new ExportResult(folder, scan.Rows, scan.SkippedRows);
    }

    private static string Format(double value) => ((float)value).ToString(CultureInfo.InvariantCulture);

    /// <summary>The task asked for, else detect when the table has boxes (or the named column is boxes), else obb when it has oriented boxes.</summary>
    private static YoloTask ResolveTask(Table table, string target, YoloExportOptions options)
    {
        if (options.Task is { } task)
        {
            return task is YoloTask.Detect or YoloTask.Obb ? task
                : throw new ExportException(table.Url, target, $"a YOLO export writes detect or obb labels; {task.ToString().ToLowerInvariant()} is not exported.");
        }
        bool Is(ColumnSchema schema, string type) => schema is AnnotationSchema a && a.Type == type;
        if (options.BoxesColumn is { } named && table.Schema.Find(named) is { } column)
        {
            return Is(column, OrientedBoundingBoxes2D.TypeName) ? YoloTask.Obb : YoloTask.Detect;
        }
        return !table.Schema.Any(kv => Is(kv.Value, BoundingBoxes2D.TypeName)) && table.Schema.Any(kv => Is(kv.Value, OrientedBoundingBoxes2D.TypeName))
            ? YoloTask.Obb : YoloTask.Detect;
    }

    private static string UniqueName(Dictionary<string, Url> names, Url image, long row)
    {
        var name = image.Name;
        if (names.TryAdd(name, image))
        {
            return name;
        }
        var stem = Path.GetFileNameWithoutExtension(name);
        var extension = Path.GetExtension(name);
        for (var n = 0; ; n++)
        {
            var candidate = n == 0 ? $"{stem}_{row}{extension}" : $"{stem}_{row}_{n}{extension}";
            if (names.TryAdd(candidate, image))
            {
                return candidate;
            }
        }
    }

    private static async Task PlaceImageAsync(UrlAdapterRegistry sourceAdapters, Url source, UrlAdapterRegistry adapters, Url target,
        YoloExportOptions options, List<Url> written, CancellationToken cancellationToken)
    {
        if (options.Images == YoloImageMode.Link)
        {
            if (!source.IsFile || !target.IsFile)
            {
                throw new NotSupportedException($"Linking images needs local files: cannot link {target} to {source}; use YoloImageMode.Copy.");
            }
            Directory.CreateDirectory(Path.GetDirectoryName(target.LocalPath)!);
            if (File.Exists(target.LocalPath) || Directory.Exists(target.LocalPath) || new FileInfo(target.LocalPath).LinkTarget is not null)
            {
                if (!options.Overwrite)
                {
                    throw new UrlAlreadyExistsException(target);
                }
                File.Delete(target.LocalPath);
            }
            File.CreateSymbolicLink(target.LocalPath, source.LocalPath);
            written.Add(target);
            return;
        }
        await using (var input = await sourceAdapters.OpenReadAsync(source, cancellationToken).ConfigureAwait(false))
        await using (var output = adapters.OpenWrite(target, options.WriteMode))
        {
            await input.CopyToAsync(output, cancellationToken).ConfigureAwait(false);
            await output.CommitAsync(cancellationToken).ConfigureAwait(false);
        }
        written.Add(target);
    }

    private static string DataYaml(Table table, DetectionColumns columns)
    {
        var data = new YoloData
        {
            Train = "images",
            Val = "images",
            Nc = columns.Classes.Count,
            Names = columns.Classes.Values.Select((e, i) => (e, i)).ToDictionary(p => p.i, p => p.e.InternalName),
            LabelValues = columns.Classes.Keys.Select((v, i) => (v, i)).ToDictionary(p => p.i, p => p.v),
        };
        var serializer = new SerializerBuilder().WithNamingConvention(UnderscoredNamingConvention.Instance).Build();
        return $"# YOLO dataset exported by Tlc from {table.Url}\n# label_values: YOLO class id -> label value in the table's value map\n"
            + serializer.Serialize(data);
    }

    private sealed class YoloData
    {
        public string Train { get; init; } = "";

        public string Val { get; init; } = "";

        public int Nc { get; init; }

        public Dictionary<int, string> Names { get; init; } = [];

        public Dictionary<int, long> LabelValues { get; init; } = [];
    }
}
