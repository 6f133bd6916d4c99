using System.Text.Json;
using Tlc.Tables;
using Tlc.Tables.Import;
using Tlc.Testing;

namespace Tlc.Metrics.Tests.Vision;

/// <summary>
/// The labelme COCO example (3 real photos, 12 instances) read straight from its JSON, independently of the importer, with
/// an independent rasteriser: a pixel belongs to a polygon when its centre passes the even-odd crossing test (in double
/// precision). Pixels whose centre lies within <see cref="EdgeMargin"/> of an edge are flagged as on the edge: there any
/// rasteriser working in fixed point (Skia rounds vertices to 1/64 pixel) may decide either way.
/// </summary>
internal static class LabelmeData
{
    public const double EdgeMargin = 1.0 / 16;

    public static string AnnotationsFile => Path.Combine(Fixtures.LabelmeCoco, "annotations.json");

    /// <summary>The images in file (and table row) order.</summary>
    public static IReadOnlyList<LabelmeImage> Images { get; } = Load();

    /// <summary>The category names by id (0 = _background_ … 20 = tv/monitor).</summary>
    public static IReadOnlyDictionary<int, string> Categories { get; } = LoadCategories();

    public static Task<Table> ImportAsync(TempRoot root, CocoTask task, CancellationToken ct) =>
        Table.FromCocoAsync(AnnotationsFile, Fixtures.LabelmeCoco, new CocoImportOptions
        {
            Project = "p",
            Dataset = "labelme",
            Table = task == CocoTask.Segment ? "segment" : "detect",
            Root = root.Url,
            Settings = root.Settings,
            Task = task,
        }, ct);

    /// <summary>
    /// The class mask of an image by the independent rasteriser: background 0, each instance painted in file order.
    /// <paramref name="onEdge"/> flags pixels within <see cref="EdgeMargin"/> of an instance's edge;
    /// <paramref name="nearLabels"/> lists, per flagged pixel, the labels it may plausibly show (background, and every instance containing it or whose edge passes near it).
    /// </summary>
    public static int[] ClassMask(LabelmeImage image, out bool[] onEdge, out Dictionary<int, HashSet<int>> nearLabels)
    {
        var mask = new int[image.Width * image.Height];
        onEdge = new bool[mask.Length];
        nearLabels = [];
        var rasters = image.Instances.Select(instance => (instance.Label, Inside: Rasterize(instance.Polygons, image.Width, image.Height, out var edge), Edge: edge)).ToList();
        foreach (var (label, inside, edge) in rasters)
        {
            for (var i = 0; i < mask.Length; i++)
            {
                if (inside[i])
                {
                    mask[i] = label;
                }
                onEdge[i] |= edge[i];
            }
        }
        // An edge pixel may go either way for the instance whose edge it sits on: then it shows that instance's label or
        // whatever lies below (another instance containing it, or the background).
        for (var i = 0; i < mask.Length; i++)
        {
            if (onEdge[i])
            {
                nearLabels[i] = [0, .. rasters.Where(r => r.Inside[i] || r.Edge[i]).Select(r => r.Label)];
            }
        }
        return mask;
    }

    /// <summary>Even-odd point-in-polygon at pixel centres over the union of the polygons.</summary>
    public static bool[] Rasterize(IReadOnlyList<double[]> polygons, int width, int height, out bool[] onEdge)
    {
        var inside = new bool[width * height];
        onEdge = new bool[width * height];
        foreach (var p in polygons)
        {
            var n = p.Length / 2;
            var minX = Math.Max(0, (int)Math.Floor(Enumerable.Range(0, n).Min(k => p[2 * k])) - 1);
            var maxX = Math.Min(width - 1, (int)Math.Ceiling(Enumerable.Range(0, n).Max(k => p[2 * k])) + 1);
            var minY = Math.Max(0, (int)Math.Floor(Enumerable.Range(0, n).Min(k => p[(2 * k) + 1])) - 1);
            var maxY = Math.Min(height - 1, (int)Math.Ceiling(Enumerable.Range(0, n).Max(k => p[(2 * k) + 1])) + 1);
            for (var y = minY; y <= maxY; y++)
            {
                var cy = y + 0.5;
                for (var x = minX; x <= maxX; x++)
                {
                    var cx = x + 0.5;
                    var crossings = false;
                    var near = false;
                    for (int a = 0, b = n - 1; a < n; b = a++)
                    {
                        double ax = p[2 * a], ay = p[(2 * a) + 1], bx = p[2 * b], by = p[(2 * b) + 1];
                        if ((ay > cy) != (by > cy) && cx < ((bx - ax) * (cy - ay) / (by - ay)) + ax)
                        {
                            crossings = !crossings;
                        }
                        near |= Distance(cx, cy, ax, ay, bx, by) < EdgeMargin;
                    }
                    var i = (y * width) + x;
                    inside[i] |= crossings;
                    onEdge[i] |= near;
                }
            }
        }
        return inside;
    }

    private static double Distance(double px, double py, double ax, double ay, double bx, double by)
    {
        var dx = bx - ax;
        var dy = by - ay;
        var length = (dx * dx) + (dy * dy);
        var t = length == 0 ? 0 : Math.Clamp((((px - ax) * dx) + ((py - ay) * dy)) / length, 0, 1);
        var qx = ax + (t * dx) - px;
        var qy = ay + (t * dy) - py;
        return Math.Sqrt((qx * qx) + (qy * qy));
    }

    private static List<LabelmeImage> Load()
    {
        using var json = JsonDocument.Parse(File.ReadAllText(AnnotationsFile));
        var root = json.RootElement;
        var images = root.GetProperty("images").EnumerateArray().Select(i => new LabelmeImage(
            i.GetProperty("id").GetInt32(), i.GetProperty("file_name").GetString()!, i.GetProperty("width").GetInt32(), i.GetProperty("height").GetInt32(), [])).ToList();
        foreach (var a in root.GetProperty("annotations").EnumerateArray())
        {
            var image = images.Single(i => i.Id == a.GetProperty("image_id").GetInt32());
            var bbox = a.GetProperty("bbox").EnumerateArray().Select(v => v.GetDouble()).ToArray();
            var polygons = a.GetProperty("segmentation").EnumerateArray().Select(p => p.EnumerateArray().Select(v => v.GetDouble()).ToArray()).ToList();
            image.Instances.Add(new LabelmeInstance(a.GetProperty("category_id").GetInt32(), bbox, polygons));
        }
        return images;
    }

    private static Dictionary<int, string> LoadCategories()
    {
        using var json = JsonDocument.Parse(File.ReadAllText(AnnotationsFile));
        return json.RootElement.GetProperty("categories").EnumerateArray().ToDictionary(c => c.GetProperty("id").GetInt32(), c => c.GetProperty("name").GetString()!);
    }
}

internal sealed record LabelmeImage(int Id, string FileName, int Width, int Height, List<LabelmeInstance> Instances)
{
    public string Path => System.IO.Path.Combine(Fixtures.LabelmeCoco, FileName);
}

/// <summary>One annotation: category id, COCO bbox [x, y, w, h] and polygons, as in the JSON.</summary>
internal sealed record LabelmeInstance(int Label, double[] Bbox, IReadOnlyList<double[]> Polygons);
