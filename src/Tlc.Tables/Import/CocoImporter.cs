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
/// location (<c>annotations[4]</c>, with the annotation id) or, for malformed JSON, the line.
/// </summary>
/// <remarks>
/// Columns: <c>image</c> (URL of image folder + <c>file_name</c>), <c>width</c>, <c>height</c>, <c>bbs</c> (boxes exactly as the
/// JSON's <c>[x, y, w, h]</c>, format xywh, labels named by category). Under <see cref="CocoTask.Segment"/>:
/// <c>segmentations</c> holds one instance per annotation whose segmentation is a polygon list (an absent segmentation
/// gives an instance without polygons), and, when any kept annotation has an RLE segmentation (<c>{"counts", "size"}</c>,
/// counts as a list or COCO's compressed string), a <c>masks</c> column holds those as uncompressed RLE instances. Within
/// each column instances keep the order of the <c>annotations</c> array.
/// </remarks>
internal static class CocoImporter
{
    private const double Tolerance = 1.0;

    private sealed record CocoImage(long Id, Url Url, int Width, int Height, int Index);

    private sealed record CocoAnnotation(int ImageIndex, int Label, BoundingBox2D Box, bool IsCrowd,
        IReadOnlyList<IReadOnlyList<float>>? Polygons, int[]? Rle);

    public static async Task<Table> ImportAsync(Url annotationsFile, Url? imageFolder, CocoImportOptions options, CancellationToken cancellationToken)
    {
        if (await options.FindReusableAsync(cancellationToken).ConfigureAwait(false) is { } reused)
        {
            return reused;
        }
        var adapters = options.EffectiveAdapters;
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
        using var document = Parse(file, bytes);
        var root = document.RootElement;
        if (root.ValueKind != JsonValueKind.Object)
        {
            throw new ImportException(file, "$", $"expected a JSON object with images, annotations and categories, got a {Kind(root)}");
        }

        var (valueMap, labelOf) = ReadCategories(file, root, options.KeepCategoryIds);
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
        var annotations = ReadAnnotations(file, root, byId, labelOf, options.Task == CocoTask.Segment);

        if (options.ValidateImages)
        {
            var sizes = await ImageFiles.ReadSizesAsync(adapters, images.Select(i => i.Url).ToList(),
                (i, url, problem, cause) => new ImportException(file, $"images[{i}]", $"image id {images[i].Id}: {problem}: {url}", cause),
                cancellationToken).ConfigureAwait(false);
            for (var i = 0; i < images.Count; i++)
            {
                if (sizes[i] != (images[i].Width, images[i].Height))
                {
                    throw new ImportException(file, $"images[{i}]",
                        $"image id {images[i].Id}: the JSON says {images[i].Width}×{images[i].Height} but {images[i].Url} is {sizes[i].Width}×{sizes[i].Height}");
                }
            }
        }

        var kept = annotations.Where(a => options.IncludeIsCrowd || !a.IsCrowd).ToList();
        var perImage = new List<CocoAnnotation>[images.Count];
        for (var i = 0; i < perImage.Length; i++)
        {
            perImage[i] = [];
        }
        foreach (var annotation in kept)
        {
            perImage[annotation.ImageIndex].Add(annotation);
        }
        var segment = options.Task == CocoTask.Segment;
        var withMasks = segment && kept.Any(a => a.Rle is not null);

        var schema = new TableSchema
        {
            ["image"] = new ImageSchema(ImageSampleType.Url),
            ["width"] = new Int32Schema(),
            ["height"] = new Int32Schema(),
            ["bbs"] = BoundingBoxes2D.Schema(valueMap, BoxFormat.Xywh, includeIsCrowd: options.IncludeIsCrowd),
        };
        if (segment)
        {
            schema.Add("segmentations", SegmentationPolygons.Schema(valueMap));
        }
        if (withMasks)
        {
            schema.Add("masks", SegmentationMasks.Schema(valueMap));
        }
        var source = ImportProvenance.Source("coco", new Url(file), options, new JsonObject
        {
            ["image_folder"] = folder.Value,
            ["task"] = options.Task == CocoTask.Segment ? "segment" : "detect",
            ["include_iscrowd"] = options.IncludeIsCrowd,
            ["keep_category_ids"] = options.KeepCategoryIds,
            ["validate_images"] = options.ValidateImages,
        });
        var rows = images.Select(image =>
        {
            var mine = perImage[image.Index];
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
            return ((IReadOnlyDictionary<string, object?>)row, (string?)$"{file}:images[{image.Index}]");
        });
        return await ImportWriting.WriteAsync(options, schema, source, rows, cancellationToken).ConfigureAwait(false);
    }

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

    private static (ValueMap Map, Dictionary<long, int> LabelOf) ReadCategories(string file, JsonElement root, bool keepIds)
    {
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
            i++;
        }
        var map = keepIds ? ValueMap.FromNames(names) : ValueMap.FromClasses(names.Select(n => n.Value));
        var labelOf = names.Select((n, index) => (n.Key, Label: keepIds ? (int)n.Key : index)).ToDictionary(x => x.Key, x => x.Label);
        return (map, labelOf);
    }

    private static List<CocoImage> ReadImages(string file, JsonElement root, Url folder)
    {
        var result = new List<CocoImage>();
        var i = 0;
        foreach (var image in RequiredArray(file, root, "images").EnumerateArray())
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
            result.Add(new CocoImage(id, url, (int)width, (int)height, i));
            i++;
        }
        return result;
    }

    private static List<CocoAnnotation> ReadAnnotations(string file, JsonElement root, Dictionary<long, CocoImage> images,
        Dictionary<long, int> labelOf, bool segment)
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
        var i = 0;
        foreach (var annotation in annotations.EnumerateArray())
        {
            var where = $"annotations[{i}]";
            if (annotation.ValueKind != JsonValueKind.Object)
            {
                throw new ImportException(file, where, $"expected an annotation object, got a {Kind(annotation)}");
            }
            var what = annotation.TryGetProperty("id", out var idElement) && idElement.ValueKind is JsonValueKind.Number or JsonValueKind.String
                ? $"annotation id {idElement.GetRawText().Trim('"')}"
                : "annotation without id";
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
            var box = ReadBox(file, where, what, annotation, image, label);
            IReadOnlyList<IReadOnlyList<float>>? polygons = null;
            int[]? rle = null;
            if (segment)
            {
                (polygons, rle) = ReadSegmentation(file, where, what, annotation, image);
            }
            result.Add(new CocoAnnotation(image.Index, label, box, isCrowd, polygons, rle));
            i++;
        }
        return result;
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

    private static BoundingBox2D ReadBox(string file, string where, string what, JsonElement annotation, CocoImage image, int label)
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
        if (v[0] < -Tolerance || v[1] < -Tolerance || v[0] + v[2] > image.Width + Tolerance || v[1] + v[3] > image.Height + Tolerance)
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
