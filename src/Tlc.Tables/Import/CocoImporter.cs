using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Tlc.DataTypes;
using Tlc.Schemas;
using Tlc.Tables.Urls;

namespace Tlc.Tables.Import;

/// <summary>
/// Imports a COCO annotation file: one row per entry of <c>images</c> (in the file's order) with the image URL, its size
/// and its annotations. The whole file is checked before anything is written; an error names the file and the JSON
/// location (<c>annotations[4]</c>, with the annotation id) or, for malformed JSON, the line. Boxes outside their image
/// are errors only with <see cref="CocoImportOptions.ValidateBoxes"/>; an unknown <c>category_id</c> always is.
/// </summary>
/// <remarks>
/// Columns: <c>image</c> (URL of image folder + <c>file_name</c>), <c>width</c>, <c>height</c>, <c>bbs</c> (boxes exactly as the
/// JSON's <c>[x, y, w, h]</c>, format xywh, labels named by category). Under <see cref="CocoTask.Segment"/>:
/// <c>segmentations</c> holds one instance per annotation whose segmentation is a polygon list (an absent segmentation
/// gives an instance without polygons), and, when any kept annotation has an RLE segmentation (<c>{"counts", "size"}</c>,
/// counts as a list or COCO's compressed string), a <c>masks</c> column holds those as uncompressed RLE instances. When a
/// category declares keypoints (COCO person keypoints: <c>keypoints</c> point names, <c>skeleton</c> 1-based pairs) a
/// <c>keypoints</c> column (<see cref="Keypoints2D"/>, points in pixels with visibility, names and 0-based skeleton in
/// the schema) holds one instance per kept annotation, instance i with box i (see <see cref="CocoImportOptions.Keypoints"/>).
/// Within each column instances keep the order of the <c>annotations</c> array.
/// </remarks>
internal static class CocoImporter
{
    private const double Tolerance = 1.0;

    private sealed record CocoImage(long Id, Url Url, int Width, int Height, int Index);

    private sealed record CocoAnnotation(int ImageIndex, int Label, BoundingBox2D Box, bool IsCrowd,
        IReadOnlyList<IReadOnlyList<float>>? Polygons, int[]? Rle, KeypointInstance? Keypoints);

    /// <summary>
    /// The keypoints the categories declare (COCO person keypoints): <see cref="Count"/> points named <see cref="Names"/>,
    /// the skeleton as 0-based point pairs, and the ids of the categories that declare them.
    /// </summary>
    internal sealed record CocoKeypoints(int Count, IReadOnlyList<string> Names, IReadOnlyList<(int From, int To)> Skeleton, IReadOnlySet<long> Categories);

    /// <summary>What a COCO import job's planner decided: the table's schema and what every chunk's conversion shares.</summary>
    internal sealed record CocoPlan(string File, Url Folder, TableSchema Schema, JsonObject Source, IReadOnlyList<(long Id, int Label)> Labels,
        bool WithMasks, CocoKeypoints? Keypoints, IReadOnlyList<CocoPlanChunk> Chunks);

    /// <summary>A chunk of a COCO import job: images [FirstImage, FirstImage + Images) of the file, their annotations, its side file's size.</summary>
    internal sealed record CocoPlanChunk(int FirstImage, int Images, long? FirstImageId, long? LastImageId, int Annotations, long Bytes);

    public static async Task<Table> ImportAsync(Url annotationsFile, Url? imageFolder, CocoImportOptions options, CancellationToken cancellationToken)
    {
        if (await options.FindReusableAsync(cancellationToken).ConfigureAwait(false) is { } reused)
        {
            return reused;
        }
        var adapters = options.EffectiveAdapters;
        var (file, folder, document) = await LoadAsync(adapters, annotationsFile, imageFolder, cancellationToken).ConfigureAwait(false);
        using var owned = document;
        var root = document.RootElement;
        var (valueMap, labelOf, keypoints) = ReadCategories(file, root, options);
        var images = ReadImages(file, root, folder);
        var byId = new Dictionary<long, CocoImage>();
        foreach (var image in images)
        {
            if (!byId.TryAdd(image.Id, image))
            {
                throw new ImportException(file, $"images[{image.Index}]",
                    $"duplicate image id {image.Id} (also images[{byId[image.Id].Index}])");
            }
        }
        var annotations = ReadAnnotations(file, root, byId, labelOf, options.Task == CocoTask.Segment, options.ValidateBoxes, keypoints);
        if (options.ValidateImages)
        {
            await ValidateImagesAsync(adapters, file, images, cancellationToken).ConfigureAwait(false);
        }
        var kept = annotations.Where(a => options.IncludeIsCrowd || !a.IsCrowd).ToList();
        var withMasks = options.Task == CocoTask.Segment && kept.Any(a => a.Rle is not null);
        var schema = MakeSchema(valueMap, options, withMasks, keypoints);
        return await ImportWriting.WriteAsync(options, schema, Source(file, folder, options), Rows(file, images, 0, kept, options, withMasks, keypoints is not null), cancellationToken)
            .ConfigureAwait(false);
    }

    /// <summary>
    /// Plans a COCO import job: reads and checks the file as <see cref="ImportAsync"/> does what decides the table (the
    /// categories, each image's id, each annotation's image id, whether masks occur), cuts the images, in file order, into
    /// chunks of <paramref name="imagesPerChunk"/> and hands <paramref name="writeChunk"/> each chunk's side file: the raw
    /// JSON of its images and of their annotations (in file order) with their positions in the file. Everything else
    /// (file names, sizes, boxes, segmentations) is checked by the chunk's conversion, with the one-process messages.
    /// </summary>
    internal static async Task<CocoPlan> PlanAsync(Url annotationsFile, Url? imageFolder, CocoImportOptions options, int imagesPerChunk,
        Func<int, ReadOnlyMemory<byte>, CancellationToken, Task> writeChunk, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(imagesPerChunk);
        var (file, folder, document) = await LoadAsync(options.EffectiveAdapters, annotationsFile, imageFolder, cancellationToken).ConfigureAwait(false);
        using var owned = document;
        var root = document.RootElement;
        var (valueMap, labelOf, keypoints) = ReadCategories(file, root, options);
        var images = new List<(long Id, JsonElement Json)>();
        var chunkOf = new Dictionary<long, int>();
        var indexOf = new Dictionary<long, int>();
        foreach (var image in RequiredArray(file, root, "images").EnumerateArray())
        {
            var i = images.Count;
            var where = $"images[{i}]";
            if (image.ValueKind != JsonValueKind.Object)
            {
                throw new ImportException(file, where, $"expected an image object, got a {Kind(image)}");
            }
            var id = RequiredInteger(file, where, image, "id");
            if (!indexOf.TryAdd(id, i))
            {
                throw new ImportException(file, where, $"duplicate image id {id} (also images[{indexOf[id]}])");
            }
            chunkOf[id] = i / imagesPerChunk;
            images.Add((id, image));
        }
        var chunkCount = Math.Max(1, (images.Count + imagesPerChunk - 1) / imagesPerChunk);
        var annotations = new List<(int Index, JsonElement Json)>[chunkCount];
        for (var c = 0; c < chunkCount; c++)
        {
            annotations[c] = [];
        }
        var segment = options.Task == CocoTask.Segment;
        var withMasks = false;
        if (root.TryGetProperty("annotations", out var all) && all.ValueKind != JsonValueKind.Null)
        {
            if (all.ValueKind != JsonValueKind.Array)
            {
                throw new ImportException(file, "annotations", $"expected an array, got a {Kind(all)}");
            }
            var i = 0;
            foreach (var annotation in all.EnumerateArray())
            {
                var where = $"annotations[{i}]";
                if (annotation.ValueKind != JsonValueKind.Object)
                {
                    throw new ImportException(file, where, $"expected an annotation object, got a {Kind(annotation)}");
                }
                var what = AnnotationName(annotation);
                var imageId = RequiredInteger(file, where, annotation, "image_id", what);
                if (!chunkOf.TryGetValue(imageId, out var chunk))
                {
                    throw new ImportException(file, where, $"{what}: unknown image_id {imageId} (no such id in images)");
                }
                annotations[chunk].Add((i, annotation));
                // A kept annotation with an RLE segmentation adds the masks column (its conversion checks the rest).
                withMasks |= segment && annotation.TryGetProperty("segmentation", out var s) && s.ValueKind == JsonValueKind.Object
                    && (options.IncludeIsCrowd || !LooksCrowded(annotation));
                i++;
            }
        }
        var chunks = new List<CocoPlanChunk>(chunkCount);
        for (var c = 0; c < chunkCount; c++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var first = c * imagesPerChunk;
            var mine = images.Skip(first).Take(imagesPerChunk).ToList();
            var buffer = new System.Buffers.ArrayBufferWriter<byte>();
            using (var json = new Utf8JsonWriter(buffer))
            {
                json.WriteStartObject();
                json.WriteNumber("first_image", first);
                json.WriteStartArray("images");
                foreach (var (_, image) in mine)
                {
                    image.WriteTo(json);
                }
                json.WriteEndArray();
                json.WriteStartArray("annotation_indices");
                foreach (var (index, _) in annotations[c])
                {
                    json.WriteNumberValue(index);
                }
                json.WriteEndArray();
                json.WriteStartArray("annotations");
                foreach (var (_, annotation) in annotations[c])
                {
                    annotation.WriteTo(json);
                }
                json.WriteEndArray();
                json.WriteEndObject();
            }
            await writeChunk(c, buffer.WrittenMemory, cancellationToken).ConfigureAwait(false);
            chunks.Add(new CocoPlanChunk(first, mine.Count, mine.Count > 0 ? mine[0].Id : null, mine.Count > 0 ? mine[^1].Id : null,
                annotations[c].Count, buffer.WrittenCount));
            annotations[c] = [];
        }
        var labels = labelOf.Select(kv => (kv.Key, kv.Value)).ToList();
        var schema = ImportWriting.WithOverrides(MakeSchema(valueMap, options, withMasks, keypoints), options);
        return new CocoPlan(file, folder, schema, Source(file, folder, options), labels, withMasks, keypoints, chunks);
    }

    /// <summary>
    /// Converts one chunk of a planned COCO import from its side file (see <see cref="PlanAsync"/>) into
    /// <paramref name="writer"/>: the same checks, rows and row order as <see cref="ImportAsync"/> over those images, and
    /// errors with the one-process locations (<c>images[i]</c>, <c>annotations[j]</c> of the whole file). With
    /// <paramref name="leaveOut"/> (the skip policy) an image whose own data is bad (its entry, one of its annotations, or,
    /// with <see cref="CocoImportOptions.ValidateImages"/>, its file) is not thrown but left out as a whole row and handed
    /// to <paramref name="leaveOut"/> with its first error (column: the JSON location), in image order.
    /// </summary>
    internal static async Task ConvertChunkAsync(string file, Url folder, CocoImportOptions options, IReadOnlyDictionary<long, int> labelOf,
        bool withMasks, CocoKeypoints? keypoints, ReadOnlyMemory<byte> sideFile, TableWriter writer, CancellationToken cancellationToken,
        ImageFiles.ImageQuarantine? leaveOut = null)
    {
        using var document = JsonDocument.Parse(sideFile);
        var root = document.RootElement;
        var first = root.GetProperty("first_image").GetInt32();
        var images = new List<CocoImage>();
        var byId = new Dictionary<long, CocoImage>();
        // Under the skip policy: the first error of each bad image (by its index in the file) and the ids of bad images.
        var bad = new SortedDictionary<int, ImportException>();
        var badIds = new HashSet<long>();
        var position = first;
        foreach (var element in root.GetProperty("images").EnumerateArray())
        {
            var index = position++;
            try
            {
                var image = ReadImage(file, element, index, folder);
                images.Add(image);
                byId[image.Id] = image;
            }
            catch (ImportException e) when (leaveOut is not null)
            {
                bad[index] = e;
                badIds.Add(RequiredInteger(file, $"images[{index}]", element, "id"));
            }
        }
        var labels = labelOf as Dictionary<long, int> ?? labelOf.ToDictionary(kv => kv.Key, kv => kv.Value);
        var segment = options.Task == CocoTask.Segment;
        var annotations = new List<CocoAnnotation>();
        using (var indices = root.GetProperty("annotation_indices").EnumerateArray().GetEnumerator())
        {
            foreach (var element in root.GetProperty("annotations").EnumerateArray())
            {
                indices.MoveNext();
                var i = indices.Current.GetInt32();
                if (leaveOut is null)
                {
                    annotations.Add(ReadAnnotation(file, element, i, byId, labels, segment, options.ValidateBoxes, keypoints));
                    continue;
                }
                // The planner checked every annotation's image id.
                var imageId = RequiredInteger(file, $"annotations[{i}]", element, "image_id", AnnotationName(element));
                if (badIds.Contains(imageId))
                {
                    continue;
                }
                try
                {
                    annotations.Add(ReadAnnotation(file, element, i, byId, labels, segment, options.ValidateBoxes, keypoints));
                }
                catch (ImportException e)
                {
                    bad[byId[imageId].Index] = e;
                    badIds.Add(imageId);
                }
            }
        }
        if (options.ValidateImages)
        {
            if (leaveOut is null)
            {
                await ValidateImagesAsync(options.EffectiveAdapters, file, images, cancellationToken).ConfigureAwait(false);
            }
            else
            {
                var candidates = images.Where(i => !badIds.Contains(i.Id)).ToList();
                var errors = await ImageErrorsAsync(options.EffectiveAdapters, file, candidates, cancellationToken).ConfigureAwait(false);
                for (var i = 0; i < candidates.Count; i++)
                {
                    if (errors[i] is { } error)
                    {
                        bad[candidates[i].Index] = error;
                        badIds.Add(candidates[i].Id);
                    }
                }
            }
        }
        foreach (var (index, error) in bad)
        {
            leaveOut!(index, error, null, error.Location);
        }
        var kept = annotations.Where(a => (options.IncludeIsCrowd || !a.IsCrowd) && !bad.ContainsKey(a.ImageIndex)).ToList();
        var rows = Rows(file, bad.Count == 0 ? images : images.Where(i => !bad.ContainsKey(i.Index)).ToList(), first, kept, options, withMasks, keypoints is not null);
        foreach (var (row, origin) in rows)
        {
            cancellationToken.ThrowIfCancellationRequested();
            try
            {
                writer.AddRow(row, origin);
            }
            catch (RowValidationException e)
            {
                throw new ImportException(file, origin![(file.Length + 1)..], $"column '{e.Column}': {e.Problem}", e);
            }
        }
    }

    /// <summary>Reads the annotation file and parses it; the root must be an object.</summary>
    private static async Task<(string File, Url Folder, JsonDocument Document)> LoadAsync(UrlAdapterRegistry adapters, Url annotationsFile,
        Url? imageFolder, CancellationToken cancellationToken)
    {
        annotationsFile = adapters.Expand(annotationsFile);
        var file = annotationsFile.Value;
        var folder = imageFolder is { } given ? adapters.Expand(given) : annotationsFile.Parent;
        byte[] bytes;
        try
        {
            bytes = await adapters.ReadAllBytesAsync(annotationsFile, cancellationToken).ConfigureAwait(false);
        }
        catch (UrlNotFoundException e)
        {
            throw new ImportException(file, null, "the annotation file does not exist", e);
        }
        var document = Parse(file, bytes);
        if (document.RootElement.ValueKind != JsonValueKind.Object)
        {
            var kind = Kind(document.RootElement);
            document.Dispose();
            throw new ImportException(file, "$", $"expected a JSON object with images, annotations and categories, got a {kind}");
        }
        return (file, folder, document);
    }

    private static async Task ValidateImagesAsync(UrlAdapterRegistry adapters, string file, List<CocoImage> images, CancellationToken cancellationToken)
    {
        var sizes = await ImageFiles.ReadSizesAsync(adapters, images.Select(i => i.Url).ToList(),
            (i, url, problem, cause) => new ImportException(file, $"images[{images[i].Index}]", $"image id {images[i].Id}: {problem}: {url}", cause),
            cancellationToken).ConfigureAwait(false);
        for (var i = 0; i < images.Count; i++)
        {
            if (sizes[i] != (images[i].Width, images[i].Height))
            {
                throw new ImportException(file, $"images[{images[i].Index}]",
                    $"image id {images[i].Id}: the JSON says {images[i].Width}×{images[i].Height} but {images[i].Url} is {sizes[i].Width}×{sizes[i].Height}");
            }
        }
    }

    /// <summary>
    /// Each image's error as <see cref="ValidateImagesAsync"/> reports it (a missing or unreadable file, or a size other
    /// than the JSON's), or null where the image is good; every image is read.
    /// </summary>
    private static async Task<ImportException?[]> ImageErrorsAsync(UrlAdapterRegistry adapters, string file, List<CocoImage> images,
        CancellationToken cancellationToken)
    {
        var (sizes, errors) = await ImageFiles.ReadSizesOrErrorsAsync(adapters, images.Select(i => i.Url).ToList(),
            (i, url, problem, cause) => new ImportException(file, $"images[{images[i].Index}]", $"image id {images[i].Id}: {problem}: {url}", cause),
            cancellationToken).ConfigureAwait(false);
        for (var i = 0; i < images.Count; i++)
        {
            if (errors[i] is null && sizes[i] != (images[i].Width, images[i].Height))
            {
                errors[i] = new ImportException(file, $"images[{images[i].Index}]",
                    $"image id {images[i].Id}: the JSON says {images[i].Width}×{images[i].Height} but {images[i].Url} is {sizes[i].Width}×{sizes[i].Height}");
            }
        }
        return errors;
    }

    private static TableSchema MakeSchema(ValueMap valueMap, CocoImportOptions options, bool withMasks, CocoKeypoints? keypoints)
    {
        var schema = new TableSchema
        {
            ["image"] = new ImageSchema(ImageSampleType.Url),
            ["width"] = new Int32Schema(),
            ["height"] = new Int32Schema(),
            ["bbs"] = BoundingBoxes2D.Schema(valueMap, BoxFormat.Xywh, includeIsCrowd: options.IncludeIsCrowd),
        };
        if (options.Task == CocoTask.Segment)
        {
            schema.Add("segmentations", SegmentationPolygons.Schema(valueMap));
        }
        if (withMasks)
        {
            schema.Add("masks", SegmentationMasks.Schema(valueMap));
        }
        if (keypoints is not null)
        {
            schema.Add("keypoints", Keypoints2D.Schema(keypoints.Count, valueMap, keypoints.Names, keypoints.Skeleton, includeVisibility: true));
        }
        return schema;
    }

    private static JsonObject Source(string file, Url folder, CocoImportOptions options) =>
        ImportProvenance.Source("coco", new Url(file), options, new JsonObject
        {
            ["image_folder"] = folder.Value,
            ["task"] = options.Task == CocoTask.Segment ? "segment" : "detect",
            ["include_iscrowd"] = options.IncludeIsCrowd,
            ["keep_category_ids"] = options.KeepCategoryIds,
            ["validate_images"] = options.ValidateImages,
            ["validate_boxes"] = options.ValidateBoxes,
            ["keypoints"] = options.Keypoints,
        });

    /// <summary>One row per image, in order, with its kept annotations in file order; <paramref name="first"/> is the index of images[0] in the file.</summary>
    private static IEnumerable<(IReadOnlyDictionary<string, object?> Row, string? Origin)> Rows(string file, List<CocoImage> images, int first,
        List<CocoAnnotation> kept, CocoImportOptions options, bool withMasks, bool keypointsColumn)
    {
        // Images may skip indices (those the skip policy left out): one slot per index from first to the last image.
        var perImage = new List<CocoAnnotation>[images.Count == 0 ? 0 : images[^1].Index - first + 1];
        for (var i = 0; i < perImage.Length; i++)
        {
            perImage[i] = [];
        }
        foreach (var annotation in kept)
        {
            perImage[annotation.ImageIndex - first].Add(annotation);
        }
        var segment = options.Task == CocoTask.Segment;
        return images.Select(image =>
        {
            var mine = perImage[image.Index - first];
            var row = new Dictionary<string, object?>
            {
                ["image"] = image.Url.Value,
                ["width"] = image.Width,
                ["height"] = image.Height,
                ["bbs"] = new BoundingBoxes2D(image.Width, image.Height,
                    mine.Select(a => options.IncludeIsCrowd ? a.Box with { IsCrowd = a.IsCrowd } : a.Box).ToList()),
            };
            if (segment)
            {
                row["segmentations"] = new SegmentationPolygons(image.Width, image.Height,
                    mine.Where(a => a.Polygons is not null).Select(a => new PolygonInstance(a.Polygons!, a.Label)).ToList());
            }
            if (withMasks)
            {
                row["masks"] = new SegmentationMasks(image.Width, image.Height,
                    mine.Where(a => a.Rle is not null).Select(a => new MaskInstance(a.Rle!, a.Label)).ToList());
            }
            if (keypointsColumn)
            {
                row["keypoints"] = new Keypoints2D(image.Width, image.Height, mine.Select(a => a.Keypoints!).ToList());
            }
            return ((IReadOnlyDictionary<string, object?>)row, (string?)$"{file}:images[{image.Index}]");
        });
    }

    /// <summary>True when <c>iscrowd</c> says 1 or true (the planner's lenient look; conversion checks the value).</summary>
    private static bool LooksCrowded(JsonElement annotation) =>
        annotation.TryGetProperty("iscrowd", out var crowd)
        && (crowd.ValueKind == JsonValueKind.True || crowd.ValueKind == JsonValueKind.Number && crowd.TryGetInt32(out var n) && n == 1);

    private static string AnnotationName(JsonElement annotation) =>
        annotation.TryGetProperty("id", out var idElement) && idElement.ValueKind is JsonValueKind.Number or JsonValueKind.String
            ? $"annotation id {idElement.GetRawText().Trim('"')}"
            : "annotation without id";

    private static JsonDocument Parse(string file, byte[] bytes)
    {
        try
        {
            return JsonDocument.Parse(bytes, new JsonDocumentOptions { MaxDepth = 256 });
        }
        catch (JsonException e)
        {
            var hint = StartsWithNamedNumber(bytes, e.LineNumber, e.BytePositionInLine)
                ? " (NaN and Infinity are not JSON numbers; every value must be finite)"
                : null;
            throw MalformedJson.Error(file, e, hint);
        }
    }

    /// <summary>True when the token at the error position is NaN or Infinity, as Python's json module writes them.</summary>
    private static bool StartsWithNamedNumber(byte[] bytes, long? line, long? position)
    {
        if (line is not { } l || position is not { } p)
        {
            return false;
        }
        var start = 0;
        for (long seen = 0; seen < l && start < bytes.Length; start++)
        {
            if (bytes[start] == (byte)'\n')
            {
                seen++;
            }
        }
        var at = start + (int)p;
        if (at < 0 || at >= bytes.Length)
        {
            return false;
        }
        var rest = Encoding.UTF8.GetString(bytes, at, Math.Min(9, bytes.Length - at));
        return rest.StartsWith("NaN", StringComparison.Ordinal) || rest.StartsWith("Infinity", StringComparison.Ordinal)
            || rest.StartsWith("-Infinity", StringComparison.Ordinal);
    }

    private static (ValueMap Map, Dictionary<long, int> LabelOf, CocoKeypoints? Keypoints) ReadCategories(string file, JsonElement root,
        CocoImportOptions options)
    {
        var keepIds = options.KeepCategoryIds;
        CocoKeypoints? keypoints = null;
        var declaredBy = -1;
        var declaring = new HashSet<long>();
        var categories = RequiredArray(file, root, "categories");
        var names = new List<KeyValuePair<long, string>>();
        var indexOf = new Dictionary<long, int>();
        var i = 0;
        foreach (var category in categories.EnumerateArray())
        {
            var where = $"categories[{i}]";
            if (category.ValueKind != JsonValueKind.Object)
            {
                throw new ImportException(file, where, $"expected a category object, got a {Kind(category)}");
            }
            var id = RequiredInteger(file, where, category, "id");
            var name = RequiredString(file, where, category, "name");
            if (!indexOf.TryAdd(id, i))
            {
                throw new ImportException(file, where, $"duplicate category id {id} (also categories[{indexOf[id]}])");
            }
            if (keepIds && id is < int.MinValue or > int.MaxValue)
            {
                throw new ImportException(file, where, $"category id {id} does not fit a 32-bit label; import with KeepCategoryIds = false");
            }
            names.Add(new(id, name));
            if (options.Keypoints != false && ReadDeclaredKeypoints(file, where, category) is { } declared)
            {
                if (keypoints is null)
                {
                    keypoints = declared;
                    declaredBy = i;
                }
                else if (!declared.Names.SequenceEqual(keypoints.Names) || !declared.Skeleton.SequenceEqual(keypoints.Skeleton))
                {
                    throw new ImportException(file, where,
                        $"category id {id} declares other keypoints or another skeleton than categories[{declaredBy}]; one keypoints column holds one set of points");
                }
                declaring.Add(id);
            }
            i++;
        }
        if (options.Keypoints == true && keypoints is null)
        {
            throw new ImportException(file, "categories", "no category declares keypoints (a 'keypoints' list of point names), but keypoints were asked for");
        }
        var map = keepIds ? ValueMap.FromNames(names) : ValueMap.FromClasses(names.Select(n => n.Value));
        var labelOf = names.Select((n, index) => (n.Key, Label: keepIds ? (int)n.Key : index)).ToDictionary(x => x.Key, x => x.Label);
        return (map, labelOf, keypoints is null ? null : keypoints with { Categories = declaring });
    }

    /// <summary>
    /// A category's keypoints: its <c>keypoints</c> (point names) and <c>skeleton</c> (pairs of 1-based point numbers, COCO's
    /// convention; stored 0-based). Null when it declares none (no or an empty <c>keypoints</c> list).
    /// </summary>
    private static CocoKeypoints? ReadDeclaredKeypoints(string file, string where, JsonElement category)
    {
        if (!category.TryGetProperty("keypoints", out var names) || names.ValueKind == JsonValueKind.Null
            || (names.ValueKind == JsonValueKind.Array && names.GetArrayLength() == 0))
        {
            return null;
        }
        if (names.ValueKind != JsonValueKind.Array)
        {
            throw new ImportException(file, where, $"keypoints must be a list of point names, got a {Kind(names)}");
        }
        var list = new List<string>();
        foreach (var name in names.EnumerateArray())
        {
            if (name.ValueKind != JsonValueKind.String || string.IsNullOrEmpty(name.GetString()) || name.GetString()!.Contains(',', StringComparison.Ordinal))
            {
                throw new ImportException(file, where, $"keypoints[{list.Count}] must be a non-empty point name without commas, got {Shorten(name.GetRawText())}");
            }
            list.Add(name.GetString()!);
        }
        var skeleton = new List<(int From, int To)>();
        if (category.TryGetProperty("skeleton", out var edges) && edges.ValueKind != JsonValueKind.Null)
        {
            if (edges.ValueKind != JsonValueKind.Array)
            {
                throw new ImportException(file, where, $"skeleton must be a list of [a, b] point pairs, got a {Kind(edges)}");
            }
            foreach (var edge in edges.EnumerateArray())
            {
                var k = skeleton.Count;
                if (edge.ValueKind != JsonValueKind.Array || edge.GetArrayLength() != 2
                    || !edge[0].TryGetInt32(out var a) || !edge[1].TryGetInt32(out var b))
                {
                    throw new ImportException(file, where, $"skeleton[{k}] must be a pair [a, b] of point numbers, got {Shorten(edge.GetRawText())}");
                }
                if (a < 1 || a > list.Count || b < 1 || b > list.Count)
                {
                    throw new ImportException(file, where,
                        $"skeleton[{k}] [{a}, {b}] names a point outside 1..{list.Count} (COCO numbers the {list.Count} keypoints from 1)");
                }
                skeleton.Add((a - 1, b - 1));
            }
        }
        return new CocoKeypoints(list.Count, list, skeleton, new HashSet<long>());
    }

    /// <summary>
    /// An annotation's <c>keypoints</c> (<c>[x, y, v]</c> per point, pixels, visibility 0, 1 or 2) as an instance; an
    /// annotation without keypoints gives K points at (0, 0), not labelled (v = 0), so instance i stays with box i.
    /// <c>num_keypoints</c>, when given, must count the labelled points (v &gt; 0).
    /// </summary>
    private static KeypointInstance ReadKeypoints(string file, string where, string what, JsonElement annotation, long categoryId, int label,
        CocoKeypoints keypoints)
    {
        var k = keypoints.Count;
        if (!annotation.TryGetProperty("keypoints", out var values) || values.ValueKind == JsonValueKind.Null)
        {
            return new KeypointInstance(new float[2 * k], label, new sbyte[k]);
        }
        if (!keypoints.Categories.Contains(categoryId))
        {
            throw new ImportException(file, where, $"{what}: has keypoints, but its category_id {categoryId} declares none (no 'keypoints' in its category)");
        }
        if (values.ValueKind != JsonValueKind.Array)
        {
            throw new ImportException(file, where, $"{what}: keypoints must be a list [x1, y1, v1, x2, y2, v2, ...], got a {Kind(values)}");
        }
        if (values.GetArrayLength() != 3 * k)
        {
            throw new ImportException(file, where,
                $"{what}: keypoints has {values.GetArrayLength()} numbers; the category declares {k} keypoints, so it needs {3 * k} (x, y, v per point)");
        }
        var points = new float[2 * k];
        var visibility = new sbyte[k];
        var labelled = 0;
        var n = 0;
        foreach (var value in values.EnumerateArray())
        {
            var (point, part) = (n / 3, n % 3);
            var field = $"keypoints[{n}] ({(part == 0 ? "x" : part == 1 ? "y" : "visibility")} of point {point + 1} '{keypoints.Names[point]}')";
            var d = ReadNumber(file, where, $"{what}: {field}", value);
            if (part < 2)
            {
                if (!double.IsFinite(d))
                {
                    throw new ImportException(file, where, $"{what}: {field} is not finite");
                }
                points[(2 * point) + part] = (float)d;
            }
            else
            {
                if (d is not (0 or 1 or 2))
                {
                    throw new ImportException(file, where,
                        $"{what}: {field} must be 0 (not labelled), 1 (labelled, not visible) or 2 (visible), got {value.GetRawText()}");
                }
                visibility[point] = (sbyte)d;
                labelled += d > 0 ? 1 : 0;
            }
            n++;
        }
        if (annotation.TryGetProperty("num_keypoints", out var count) && count.ValueKind != JsonValueKind.Null
            && (!count.TryGetInt32(out var given) || given != labelled))
        {
            throw new ImportException(file, where,
                $"{what}: num_keypoints is {count.GetRawText()} but {labelled} of its keypoints are labelled (visibility 1 or 2)");
        }
        return new KeypointInstance(points, label, visibility);
    }

    private static List<CocoImage> ReadImages(string file, JsonElement root, Url folder)
    {
        var result = new List<CocoImage>();
        foreach (var image in RequiredArray(file, root, "images").EnumerateArray())
        {
            result.Add(ReadImage(file, image, result.Count, folder));
        }
        return result;
    }

    private static CocoImage ReadImage(string file, JsonElement image, int i, Url folder)
    {
        var where = $"images[{i}]";
        if (image.ValueKind != JsonValueKind.Object)
        {
            throw new ImportException(file, where, $"expected an image object, got a {Kind(image)}");
        }
        var id = RequiredInteger(file, where, image, "id");
        var fileName = RequiredString(file, where, image, "file_name");
        var width = RequiredInteger(file, where, image, "width");
        var height = RequiredInteger(file, where, image, "height");
        if (width is <= 0 or > int.MaxValue || height is <= 0 or > int.MaxValue)
        {
            throw new ImportException(file, where, $"image id {id}: the size {width}×{height} is not positive");
        }
        Url url;
        try
        {
            url = Url.IsAbsolute(fileName) ? new Url(fileName) : folder.Join(fileName);
        }
        catch (ArgumentException e)
        {
            throw new ImportException(file, where, $"image id {id}: file_name '{fileName}' is not a usable path ({e.Message})", e);
        }
        return new CocoImage(id, url, (int)width, (int)height, i);
    }

    private static List<CocoAnnotation> ReadAnnotations(string file, JsonElement root, Dictionary<long, CocoImage> images,
        Dictionary<long, int> labelOf, bool segment, bool validateBoxes, CocoKeypoints? keypoints)
    {
        var result = new List<CocoAnnotation>();
        if (!root.TryGetProperty("annotations", out var annotations) || annotations.ValueKind == JsonValueKind.Null)
        {
            return result;
        }
        if (annotations.ValueKind != JsonValueKind.Array)
        {
            throw new ImportException(file, "annotations", $"expected an array, got a {Kind(annotations)}");
        }
        foreach (var annotation in annotations.EnumerateArray())
        {
            result.Add(ReadAnnotation(file, annotation, result.Count, images, labelOf, segment, validateBoxes, keypoints));
        }
        return result;
    }

    private static CocoAnnotation ReadAnnotation(string file, JsonElement annotation, int i, Dictionary<long, CocoImage> images,
        Dictionary<long, int> labelOf, bool segment, bool validateBoxes, CocoKeypoints? keypoints)
    {
        var where = $"annotations[{i}]";
        if (annotation.ValueKind != JsonValueKind.Object)
        {
            throw new ImportException(file, where, $"expected an annotation object, got a {Kind(annotation)}");
        }
        var what = AnnotationName(annotation);
        var imageId = RequiredInteger(file, where, annotation, "image_id", what);
        if (!images.TryGetValue(imageId, out var image))
        {
            throw new ImportException(file, where, $"{what}: unknown image_id {imageId} (no such id in images)");
        }
        var categoryId = RequiredInteger(file, where, annotation, "category_id", what);
        if (!labelOf.TryGetValue(categoryId, out var label))
        {
            throw new ImportException(file, where, $"{what}: unknown category_id {categoryId} (no such id in categories)");
        }
        var isCrowd = ReadIsCrowd(file, where, what, annotation);
        var box = ReadBox(file, where, what, annotation, image, label, validateBoxes);
        IReadOnlyList<IReadOnlyList<float>>? polygons = null;
        int[]? rle = null;
        if (segment)
        {
            (polygons, rle) = ReadSegmentation(file, where, what, annotation, image);
        }
        var points = keypoints is null ? null : ReadKeypoints(file, where, what, annotation, categoryId, label, keypoints);
        return new CocoAnnotation(image.Index, label, box, isCrowd, polygons, rle, points);
    }

    private static bool ReadIsCrowd(string file, string where, string what, JsonElement annotation)
    {
        if (!annotation.TryGetProperty("iscrowd", out var crowd) || crowd.ValueKind == JsonValueKind.Null)
        {
            return false;
        }
        return crowd.ValueKind switch
        {
            JsonValueKind.True => true,
            JsonValueKind.False => false,
            JsonValueKind.Number when crowd.TryGetInt32(out var n) && n is 0 or 1 => n == 1,
            _ => throw new ImportException(file, where, $"{what}: iscrowd must be 0 or 1, got {crowd.GetRawText()}"),
        };
    }

    private static BoundingBox2D ReadBox(string file, string where, string what, JsonElement annotation, CocoImage image, int label, bool validate)
    {
        if (!annotation.TryGetProperty("bbox", out var bbox))
        {
            throw new ImportException(file, where, $"{what}: no bbox");
        }
        if (bbox.ValueKind != JsonValueKind.Array || bbox.GetArrayLength() != 4)
        {
            throw new ImportException(file, where, $"{what}: bbox must be [x, y, width, height], got {Shorten(bbox.GetRawText())}");
        }
        var v = new double[4];
        var k = 0;
        foreach (var element in bbox.EnumerateArray())
        {
            v[k] = ReadNumber(file, where, $"{what}: bbox[{k}]", element);
            k++;
        }
        var text = $"[{string.Join(", ", v.Select(x => x.ToString(CultureInfo.InvariantCulture)))}]";
        if (v.Any(x => !double.IsFinite(x)))
        {
            throw new ImportException(file, where, $"{what}: bbox {text} is not finite");
        }
        if (v[2] < 0 || v[3] < 0)
        {
            throw new ImportException(file, where, $"{what}: bbox {text} has a negative width or height");
        }
        if (v[2] == 0 || v[3] == 0)
        {
            throw new ImportException(file, where, $"{what}: bbox {text} has zero size");
        }
        if (validate && (v[0] < -Tolerance || v[1] < -Tolerance || v[0] + v[2] > image.Width + Tolerance || v[1] + v[3] > image.Height + Tolerance))
        {
            throw new ImportException(file, where,
                $"{what}: bbox {text} lies outside the {image.Width}×{image.Height} image (id {image.Id}) by more than {Tolerance} pixel");
        }
        return new BoundingBox2D((float)v[0], (float)v[1], (float)v[2], (float)v[3], label);
    }

    private static (IReadOnlyList<IReadOnlyList<float>>? Polygons, int[]? Rle) ReadSegmentation(string file, string where, string what,
        JsonElement annotation, CocoImage image)
    {
        if (!annotation.TryGetProperty("segmentation", out var segmentation) || segmentation.ValueKind == JsonValueKind.Null)
        {
            return ([], null);
        }
        if (segmentation.ValueKind == JsonValueKind.Object)
        {
            return (null, ReadRle(file, where, what, segmentation, image));
        }
        if (segmentation.ValueKind != JsonValueKind.Array)
        {
            throw new ImportException(file, where, $"{what}: segmentation must be a list of polygons or an RLE object, got a {Kind(segmentation)}");
        }
        var polygons = new List<IReadOnlyList<float>>();
        var p = 0;
        foreach (var polygon in segmentation.EnumerateArray())
        {
            if (polygon.ValueKind != JsonValueKind.Array)
            {
                throw new ImportException(file, where, $"{what}: segmentation[{p}] must be a polygon [x0, y0, x1, y1, ...], got a {Kind(polygon)}");
            }
            var length = polygon.GetArrayLength();
            if (length % 2 != 0)
            {
                throw new ImportException(file, where, $"{what}: segmentation[{p}] has {length} numbers; a polygon has x, y pairs");
            }
            var points = new float[length];
            var k = 0;
            foreach (var value in polygon.EnumerateArray())
            {
                var d = ReadNumber(file, where, $"{what}: segmentation[{p}][{k}]", value);
                if (!double.IsFinite(d))
                {
                    throw new ImportException(file, where, $"{what}: segmentation[{p}][{k}] is not finite");
                }
                points[k++] = (float)d;
            }
            polygons.Add(points);
            p++;
        }
        return (polygons, null);
    }

    private static int[] ReadRle(string file, string where, string what, JsonElement rle, CocoImage image)
    {
        if (!rle.TryGetProperty("size", out var size) || size.ValueKind != JsonValueKind.Array || size.GetArrayLength() != 2
            || !size[0].TryGetInt64(out var h) || !size[1].TryGetInt64(out var w))
        {
            throw new ImportException(file, where, $"{what}: an RLE segmentation needs size [height, width]");
        }
        if (h != image.Height || w != image.Width)
        {
            throw new ImportException(file, where,
                $"{what}: the RLE size [{h}, {w}] differs from the image's [{image.Height}, {image.Width}] (id {image.Id})");
        }
        if (!rle.TryGetProperty("counts", out var counts))
        {
            throw new ImportException(file, where, $"{what}: an RLE segmentation needs counts");
        }
        int[] runs;
        if (counts.ValueKind == JsonValueKind.String)
        {
            try
            {
                runs = Rle.FromCompressedString(counts.GetString()!);
            }
            catch (FormatException e)
            {
                throw new ImportException(file, where, $"{what}: the compressed RLE counts are invalid: {e.Message}", e);
            }
        }
        else if (counts.ValueKind == JsonValueKind.Array)
        {
            runs = new int[counts.GetArrayLength()];
            var k = 0;
            foreach (var c in counts.EnumerateArray())
            {
                if (!c.TryGetInt32(out var run) || run < 0)
                {
                    throw new ImportException(file, where, $"{what}: RLE counts[{k}] must be a non-negative integer, got {c.GetRawText()}");
                }
                runs[k++] = run;
            }
        }
        else
        {
            throw new ImportException(file, where, $"{what}: RLE counts must be a list of integers or a compressed string, got a {Kind(counts)}");
        }
        var total = runs.Sum(r => (long)r);
        if (total != h * w)
        {
            throw new ImportException(file, where, $"{what}: the RLE counts cover {total} pixels; a {w}×{h} mask has {h * w}");
        }
        return runs;
    }

    private static double ReadNumber(string file, string where, string what, JsonElement element)
    {
        switch (element.ValueKind)
        {
            case JsonValueKind.Number:
                return element.GetDouble();
            case JsonValueKind.String:
                // Named literals as System.Text.Json's AllowNamedFloatingPointLiterals reads them; rejected as non-finite later.
                var s = element.GetString();
                if (s is "NaN")
                {
                    return double.NaN;
                }
                if (s is "Infinity")
                {
                    return double.PositiveInfinity;
                }
                if (s is "-Infinity")
                {
                    return double.NegativeInfinity;
                }
                break;
        }
        throw new ImportException(file, where, $"{what} is not a number: {Shorten(element.GetRawText())}");
    }

    private static JsonElement RequiredArray(string file, JsonElement root, string name)
    {
        if (!root.TryGetProperty(name, out var array))
        {
            throw new ImportException(file, "$", $"no '{name}' array");
        }
        if (array.ValueKind != JsonValueKind.Array)
        {
            throw new ImportException(file, name, $"expected an array, got a {Kind(array)}");
        }
        return array;
    }

    private static long RequiredInteger(string file, string where, JsonElement element, string name, string? what = null)
    {
        var prefix = what is null ? "" : what + ": ";
        if (!element.TryGetProperty(name, out var value) || value.ValueKind == JsonValueKind.Null)
        {
            throw new ImportException(file, where, $"{prefix}no {name}");
        }
        if (value.ValueKind == JsonValueKind.Number && value.TryGetInt64(out var n))
        {
            return n;
        }
        if (value.ValueKind == JsonValueKind.Number && value.TryGetDouble(out var d) && d == Math.Floor(d) && Math.Abs(d) < 9e15)
        {
            return (long)d;
        }
        throw new ImportException(file, where, $"{prefix}{name} must be an integer, got {Shorten(value.GetRawText())}");
    }

    private static string RequiredString(string file, string where, JsonElement element, string name)
    {
        if (!element.TryGetProperty(name, out var value) || value.ValueKind != JsonValueKind.String || string.IsNullOrEmpty(value.GetString()))
        {
            throw new ImportException(file, where, $"{name} must be a non-empty string");
        }
        return value.GetString()!;
    }

    private static string Kind(JsonElement element) => element.ValueKind.ToString().ToLowerInvariant();

    private static string Shorten(string text) => text.Length > 60 ? text[..60] + "…" : text;
}
