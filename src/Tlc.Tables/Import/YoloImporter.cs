using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using Tlc.DataTypes;
using Tlc.Schemas;
using Tlc.Tables.Urls;

namespace Tlc.Tables.Import;

/// <summary>
/// Imports a YOLO (Ultralytics) folder: the images below the images folder (recursively, ordered by relative path) and, for
/// each, the label file of the same relative path and stem with extension <c>.txt</c> below the labels folder. A missing
/// label file means the image has no objects. Image sizes are read from the image headers.
/// </summary>
/// <remarks>
/// Columns: <c>image</c> (URL) and, by task, <c>bbs</c> (detect and pose: boxes as written, normalised centre-size),
/// <c>segmentations</c> (segment: polygons converted to pixels), <c>keypoints</c> (pose: points converted to pixels) and
/// <c>obbs</c> (obb: the four corners converted to pixels and read as centre, size and rotation by
/// <see cref="OrientedBoundingBox2D.FromCorners"/>). Every label file is checked before anything is written: an error names the label file and the line.
/// </remarks>
internal static class YoloImporter
{
    /// <summary>
    /// What a YOLO import decides before converting any image: the images folder, the images in row order (with their
    /// sizes in bytes) and their label files, the schema (before overrides) and the provenance.
    /// </summary>
    internal sealed record YoloListing(Url ImagesFolder, IReadOnlyList<UrlEntry> Images, IReadOnlyList<Url> LabelFiles, TableSchema Schema, JsonObject Source);

    public static async Task<Table> ImportAsync(Url imagesFolder, IReadOnlyList<string> categories, YoloImportOptions options,
        CancellationToken cancellationToken)
    {
        var keypoints = CheckArguments(categories, options);
        if (await options.FindReusableAsync(cancellationToken).ConfigureAwait(false) is { } reused)
        {
            return reused;
        }
        var listing = await ListAsync(imagesFolder, categories, options, keypoints, cancellationToken).ConfigureAwait(false);
        var rows = await ConvertAsync(options.EffectiveAdapters, listing.Images.Select(i => i.Url).ToList(), listing.LabelFiles, options,
            categories.Count, keypoints, cancellationToken).ConfigureAwait(false);
        return await ImportWriting.WriteAsync(options, listing.Schema, listing.Source, rows, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Checks the categories and the pose settings; returns the keypoints per instance (0 unless pose).</summary>
    internal static int CheckArguments(IReadOnlyList<string> categories, YoloImportOptions options)
    {
        ArgumentNullException.ThrowIfNull(categories);
        if (categories.Count == 0)
        {
            throw new ArgumentException("A YOLO import needs the category names (class i is categories[i]).", nameof(categories));
        }
        var keypoints = 0;
        if (options.Task == YoloTask.Pose)
        {
            keypoints = options.NumKeypoints is > 0 and var k ? k
                : throw new ArgumentException("A pose import needs NumKeypoints (the points per instance).", nameof(options));
            if (options.KeypointDims is not (2 or 3))
            {
                throw new ArgumentException($"KeypointDims must be 2 or 3, got {options.KeypointDims}.", nameof(options));
            }
        }
        return keypoints;
    }

    /// <summary>
    /// Lists the images (once, in row order: by path below the images folder, ordinal), finds each one's label file and
    /// makes the schema and provenance. No image or label file is read.
    /// </summary>
    internal static async Task<YoloListing> ListAsync(Url imagesFolder, IReadOnlyList<string> categories, YoloImportOptions options, int keypoints,
        CancellationToken cancellationToken)
    {
        var adapters = options.EffectiveAdapters;
        imagesFolder = adapters.Expand(imagesFolder);
        var labelsFolder = options.LabelsUrl is { } given ? adapters.Expand(given) : LabelsFolder(imagesFolder);
        var images = await ImageFiles.ListEntriesAsync(adapters, imagesFolder, cancellationToken).ConfigureAwait(false);
        if (images.Count == 0)
        {
            var exists = await adapters.ExistsAsync(imagesFolder, cancellationToken).ConfigureAwait(false);
            throw new ImportException(imagesFolder.Value, null, exists ? "no images in the folder" : "the images folder does not exist");
        }
        var labelFiles = images.Select(image =>
            labelsFolder.Join(Path.ChangeExtension(image.Url.RelativeTo(imagesFolder) ?? image.Url.Name, ".txt"))).ToList();

        var schema = new TableSchema { ["image"] = new ImageSchema(ImageSampleType.Url) };
        if (options.Task is YoloTask.Detect or YoloTask.Pose)
        {
            schema.Add("bbs", BoundingBoxes2D.Schema(categories, BoxFormat.Cxcywh, normalized: true));
        }
        if (options.Task == YoloTask.Segment)
        {
            schema.Add("segmentations", SegmentationPolygons.Schema(categories));
        }
        if (options.Task == YoloTask.Pose)
        {
            schema.Add("keypoints", Keypoints2D.Schema(keypoints, categories, includeVisibility: options.KeypointDims == 3));
        }
        if (options.Task == YoloTask.Obb)
        {
            schema.Add("obbs", OrientedBoundingBoxes2D.Schema(categories));
        }
        var source = ImportProvenance.Source("yolo", imagesFolder, options, new JsonObject
        {
            ["labels"] = labelsFolder.Value,
            ["task"] = options.Task.ToString().ToLowerInvariant(),
            ["categories"] = new JsonArray(categories.Select(c => (JsonNode?)c).ToArray()),
            ["validate_boxes"] = options.ValidateBoxes,
        });
        return new YoloListing(imagesFolder, images, labelFiles, schema, source);
    }

    /// <summary>
    /// The rows of <paramref name="images"/> (with their label files, same order): reads every image's header for its
    /// size and every label file (a missing one means no objects), then checks and converts the label lines in order.
    /// Both the one-process import (all images) and an import job's chunk (a page of them) convert through here.
    /// </summary>
    /// <exception cref="ImportException">An unreadable image, or a bad label line (naming the label file and line).</exception>
    /// <remarks>
    /// With <paramref name="leaveOut"/> (the skip policy of import jobs) nothing is thrown for an image: an unreadable image
    /// (column <c>image</c>) or one with a bad label line (the label file and line) is left out as a whole row and handed
    /// to <paramref name="leaveOut"/> with its index in <paramref name="images"/>.
    /// </remarks>
    internal static async Task<List<(IReadOnlyDictionary<string, object?> Row, string? Origin)>> ConvertAsync(UrlAdapterRegistry adapters,
        IReadOnlyList<Url> images, IReadOnlyList<Url> labelFiles, YoloImportOptions options, int classes, int keypoints, CancellationToken cancellationToken,
        ImageFiles.ImageQuarantine? leaveOut = null)
    {
        var (sizes, imageErrors) = leaveOut is null
            ? (await ImageFiles.ReadSizesAsync(adapters, images, null, cancellationToken).ConfigureAwait(false), new ImportException?[images.Count])
            : await ImageFiles.ReadSizesOrErrorsAsync(adapters, images, null, cancellationToken).ConfigureAwait(false);
        var texts = await ReadLabelFilesAsync(adapters, labelFiles, cancellationToken).ConfigureAwait(false);

        var parser = new LineParser(options.Task, classes, keypoints, options.KeypointDims, options.ValidateBoxes);
        var rows = new List<(IReadOnlyDictionary<string, object?> Row, string? Origin)>(images.Count);
        for (var i = 0; i < images.Count; i++)
        {
            if (imageErrors[i] is { } imageError)
            {
                leaveOut!(i, imageError, null, "image");
                continue;
            }
            var (width, height) = sizes[i];
            var boxes = new List<BoundingBox2D>();
            var polygons = new List<PolygonInstance>();
            var points = new List<KeypointInstance>();
            var oriented = new List<OrientedBoundingBox2D>();
            var left = false;
            if (texts[i] is { } text)
            {
                var lineNumber = 0;
                foreach (var line in text.Split('\n'))
                {
                    lineNumber++;
                    var fields = line.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
                    if (fields.Length == 0)
                    {
                        continue;
                    }
                    double[] values;
                    try
                    {
                        values = parser.Parse(fields, labelFiles[i].Value, lineNumber);
                    }
                    catch (ImportException e) when (leaveOut is not null)
                    {
                        leaveOut(i, e, lineNumber, null);
                        left = true;
                        break;
                    }
                    var label = (int)values[0];
                    switch (options.Task)
                    {
                        case YoloTask.Detect:
                            boxes.Add(new BoundingBox2D((float)values[1], (float)values[2], (float)values[3], (float)values[4], label));
                            break;
                        case YoloTask.Segment:
                            var polygon = new float[values.Length - 1];
                            for (var k = 1; k < values.Length; k++)
                            {
                                polygon[k - 1] = (float)(values[k] * (k % 2 == 1 ? width : height));
                            }
                            polygons.Add(new PolygonInstance([polygon], label));
                            break;
                        case YoloTask.Pose:
                            boxes.Add(new BoundingBox2D((float)values[1], (float)values[2], (float)values[3], (float)values[4], label));
                            var xy = new float[2 * keypoints];
                            var visibility = options.KeypointDims == 3 ? new sbyte[keypoints] : null;
                            for (var p = 0; p < keypoints; p++)
                            {
                                var at = 5 + (p * options.KeypointDims);
                                xy[2 * p] = (float)(values[at] * width);
                                xy[(2 * p) + 1] = (float)(values[at + 1] * height);
                                if (visibility is not null)
                                {
                                    visibility[p] = (sbyte)values[at + 2];
                                }
                            }
                            points.Add(new KeypointInstance(xy, label, visibility));
                            break;
                        case YoloTask.Obb:
                            var corners = new (double X, double Y)[4];
                            for (var c = 0; c < 4; c++)
                            {
                                corners[c] = (values[1 + (2 * c)] * width, values[2 + (2 * c)] * height);
                            }
                            oriented.Add(OrientedBoundingBox2D.FromCorners(corners, label));
                            break;
                    }
                }
            }
            if (left)
            {
                continue;
            }
            var row = new Dictionary<string, object?> { ["image"] = images[i].Value };
            switch (options.Task)
            {
                case YoloTask.Detect:
                    row["bbs"] = new BoundingBoxes2D(width, height, boxes);
                    break;
                case YoloTask.Segment:
                    row["segmentations"] = new SegmentationPolygons(width, height, polygons);
                    break;
                case YoloTask.Pose:
                    row["bbs"] = new BoundingBoxes2D(width, height, boxes);
                    row["keypoints"] = new Keypoints2D(width, height, points);
                    break;
                case YoloTask.Obb:
                    row["obbs"] = new OrientedBoundingBoxes2D(width, height, oriented);
                    break;
            }
            rows.Add((row, labelFiles[i].Value));
        }
        return rows;
    }

    /// <summary>The images URL with its last <c>images</c> segment replaced by <c>labels</c>.</summary>
    internal static Url LabelsFolder(Url images)
    {
        var parts = images.Value.TrimEnd('/').Split('/');
        var start = images.Value.Contains("://", StringComparison.Ordinal) ? 3 : 1;
        for (var i = parts.Length - 1; i >= start; i--)
        {
            if (parts[i] == "images")
            {
                parts[i] = "labels";
                return new Url(string.Join('/', parts));
            }
        }
        throw new ImportException(images.Value, null,
            "the path has no 'images' segment to find the labels folder by (…/images/… → …/labels/…); give LabelsUrl");
    }

    private static async Task<string?[]> ReadLabelFilesAsync(UrlAdapterRegistry adapters, IReadOnlyList<Url> files, CancellationToken cancellationToken)
    {
        var texts = new string?[files.Count];
        var parallel = new ParallelOptions { MaxDegreeOfParallelism = Math.Max(2, Environment.ProcessorCount), CancellationToken = cancellationToken };
        await Parallel.ForEachAsync(Enumerable.Range(0, files.Count), parallel, async (i, ct) =>
        {
            try
            {
                texts[i] = Encoding.UTF8.GetString(await adapters.ReadAllBytesAsync(files[i], ct).ConfigureAwait(false));
            }
            catch (UrlNotFoundException)
            {
                texts[i] = null;
            }
        }).ConfigureAwait(false);
        return texts;
    }

    /// <summary>Checks and reads the numbers of one label line.</summary>
    private sealed class LineParser(YoloTask task, int classes, int keypoints, int keypointDims, bool validateBoxes)
    {
        /// <summary>How far (normalised) a box corner may lie outside [0, 1] under <see cref="YoloImportOptions.ValidateBoxes"/>.</summary>
        private const double BoxTolerance = 1e-3;

        public double[] Parse(string[] fields, string file, int line)
        {
            var where = $"line {line}";
            switch (task)
            {
                case YoloTask.Detect when fields.Length != 5:
                    throw new ImportException(file, where, $"expected 5 fields (class cx cy w h), got {fields.Length}");
                case YoloTask.Segment when fields.Length < 7 || fields.Length % 2 == 0:
                    throw new ImportException(file, where,
                        $"expected a class and at least 3 x y pairs (class x1 y1 x2 y2 x3 y3 ...), got {fields.Length} fields");
                case YoloTask.Pose when fields.Length != 5 + (keypoints * keypointDims):
                    throw new ImportException(file, where,
                        $"expected {5 + (keypoints * keypointDims)} fields (class cx cy w h and {keypoints} keypoints of {keypointDims}), got {fields.Length}");
                case YoloTask.Obb when fields.Length != 9:
                    throw new ImportException(file, where, $"expected 9 fields (class x1 y1 x2 y2 x3 y3 x4 y4), got {fields.Length}");
            }
            if (!int.TryParse(fields[0], NumberStyles.Integer, CultureInfo.InvariantCulture, out var label))
            {
                throw new ImportException(file, where, $"the class id '{fields[0]}' is not an integer");
            }
            if (label < 0 || label >= classes)
            {
                throw new ImportException(file, where, $"the class id {label} is outside the {classes} categories (0..{classes - 1})");
            }
            var values = new double[fields.Length];
            values[0] = label;
            for (var k = 1; k < fields.Length; k++)
            {
                if (!double.TryParse(fields[k], NumberStyles.Float, CultureInfo.InvariantCulture, out var v) || !double.IsFinite(v))
                {
                    throw new ImportException(file, where, $"field {k + 1} ('{fields[k]}') is not a number");
                }
                var isVisibility = task == YoloTask.Pose && keypointDims == 3 && k >= 5 && (k - 5) % 3 == 2;
                if (isVisibility)
                {
                    if (v is not (0 or 1 or 2))
                    {
                        throw new ImportException(file, where, $"field {k + 1} ('{fields[k]}') is a keypoint visibility and must be 0, 1 or 2");
                    }
                }
                else if (v is < 0 or > 1)
                {
                    throw new ImportException(file, where,
                        $"field {k + 1} ({fields[k]}) is outside [0, 1]: YOLO coordinates are normalised by the image size");
                }
                values[k] = v;
            }
            if (validateBoxes && task is YoloTask.Detect or YoloTask.Pose)
            {
                var (x0, x1) = (values[1] - (values[3] / 2), values[1] + (values[3] / 2));
                var (y0, y1) = (values[2] - (values[4] / 2), values[2] + (values[4] / 2));
                if (x0 < -BoxTolerance || y0 < -BoxTolerance || x1 > 1 + BoxTolerance || y1 > 1 + BoxTolerance)
                {
                    throw new ImportException(file, where, string.Create(CultureInfo.InvariantCulture,
                        $"the box (cx {fields[1]}, cy {fields[2]}, w {fields[3]}, h {fields[4]}) reaches x {x0:0.####}..{x1:0.####}, y {y0:0.####}..{y1:0.####}: outside the image [0, 1] by more than {BoxTolerance}"));
                }
            }
            return values;
        }
    }
}
