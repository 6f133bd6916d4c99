using System.Globalization;
using System.Text.Json.Nodes;
using Tlc.Cluster;
using Tlc.Schemas;
using Tlc.Tables.Configuration;
using Tlc.Tables.Urls;

namespace Tlc.Tables.Import.Jobs;

public static partial class ImportJobs
{
    /// <summary>The folder of a table that holds the side files of its import jobs' plans (<c>_plan/&lt;job id&gt;/</c>).</summary>
    public const string PlanFolderName = "_plan";

    /// <summary>
    /// Plans a COCO import (<see cref="Table.FromCocoAsync"/>): resolves the target table (under <see cref="IfExists.Reuse"/>
    /// an existing table is returned instead, as null spec), then reads the annotation file once, checking what decides the
    /// table (categories, image ids, each annotation's image id, whether RLE masks occur), and cuts the images, in file
    /// order, into chunks of <see cref="ImportJobOptions.ImagesPerChunk"/>. For each chunk it writes a side file
    /// <c>_plan/&lt;job id&gt;/coco-NNNNN.json</c> in the table folder holding the raw JSON of the chunk's images and of their
    /// annotations (in file order, with their positions in the file), so a chunk's conversion reads and parses only that
    /// file, never the whole annotation file. The descriptor names the side file and the chunk's images:
    /// <c>{"plan_file":…,"first_image":0,"images":1000,"first_image_id":…,"last_image_id":…,"annotations":…}</c>.
    /// Remove the side files with <see cref="DeletePlanFilesAsync"/> once the job has ended.
    /// </summary>
    /// <returns>The job spec, or the existing table when <see cref="ImportOptions.IfExists"/> is <see cref="IfExists.Reuse"/> and it exists.</returns>
    /// <exception cref="ImportException">
    /// Malformed JSON, bad categories, an image without an integer id or with a duplicate id, an annotation that is not an
    /// object or names no known image (errors no single chunk can report), under either error policy. Other bad
    /// annotations and images become the error of their chunk, with the locations the one-process import names; under
    /// <see cref="ImportErrorPolicy.Skip"/> such an image is left out as a whole row and listed in the quarantine.
    /// </exception>
    public static async Task<(ImportPlan? Plan, Table? Existing)> PlanCocoAsync(string annotationsFile, string? imageFolder, CocoImportOptions options,
        string jobId, ImportJobOptions? jobOptions = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(annotationsFile);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentException.ThrowIfNullOrWhiteSpace(jobId);
        jobOptions ??= new ImportJobOptions();
        var target = await ResolveTargetAsync(options, cancellationToken).ConfigureAwait(false);
        if (target.Existing is { } existing)
        {
            return (null, existing);
        }
        var adapters = options.EffectiveAdapters;
        var planFolder = target.Url.Join($"{PlanFolderName}/{jobId}");
        Url SideFile(int chunk) => planFolder.Join(string.Create(CultureInfo.InvariantCulture, $"coco-{chunk:D5}.json"));
        CocoImporter.CocoPlan plan;
        try
        {
            plan = await CocoImporter.PlanAsync(new Url(annotationsFile), string.IsNullOrWhiteSpace(imageFolder) ? (Url?)null : new Url(imageFolder), options,
                jobOptions.ImagesPerChunk, (chunk, bytes, ct) => adapters.WriteAllBytesAsync(SideFile(chunk), bytes, WriteMode.Overwrite, ct),
                cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            await adapters.DeleteAsync(planFolder, CancellationToken.None).ConfigureAwait(false);
            throw;
        }
        var conversion = new JsonObject
        {
            ["display"] = plan.File,
            ["image_folder"] = plan.Folder.Value,
            ["task"] = options.Task == CocoTask.Segment ? "segment" : "detect",
            ["include_iscrowd"] = options.IncludeIsCrowd,
            ["keep_category_ids"] = options.KeepCategoryIds,
            ["validate_images"] = options.ValidateImages,
            ["validate_boxes"] = options.ValidateBoxes,
            ["labels"] = new JsonArray(plan.Labels.Select(l => (JsonNode?)new JsonArray(l.Id, l.Label)).ToArray()),
            ["with_masks"] = plan.WithMasks,
            ["keypoints"] = plan.Keypoints is { } k ? new JsonObject
            {
                ["names"] = new JsonArray([.. k.Names.Select(n => (JsonNode?)n)]),
                ["skeleton"] = new JsonArray([.. k.Skeleton.Select(e => (JsonNode?)new JsonArray(e.From, e.To))]),
                ["categories"] = new JsonArray([.. k.Categories.Order().Select(c => (JsonNode?)c)]),
            } : null,
            ["plan_folder"] = planFolder.Value,
            ["source"] = plan.Source,
        };
        var chunks = plan.Chunks.Select((c, i) => new ImportChunkPlan(i, new JsonObject
        {
            ["plan_file"] = SideFile(i).Value,
            ["first_image"] = c.FirstImage,
            ["images"] = c.Images,
            ["first_image_id"] = c.FirstImageId,
            ["last_image_id"] = c.LastImageId,
            ["annotations"] = c.Annotations,
        }.ToJsonString(), c.Bytes));
        return (Spec("coco", jobId, new Url(plan.File), target.Url, plan.Schema, conversion, options, jobOptions, chunks), null);
    }

    /// <summary>
    /// Deletes the side files a plan wrote (COCO, YOLO, image folders: <c>_plan/&lt;job id&gt;/</c> in the table folder); a
    /// spec without any is left alone. Call it when the job has ended (published, failed for good or cancelled); deleting
    /// twice is harmless.
    /// </summary>
    public static async Task DeletePlanFilesAsync(ImportJobSpec spec, UrlAdapterRegistry adapters, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(spec);
        ArgumentNullException.ThrowIfNull(adapters);
        if (JsonNode.Parse(spec.ConversionJson)?["plan_folder"] is JsonValue folder)
        {
            var url = new Url((string)folder!);
            await adapters.DeleteAsync(url, cancellationToken).ConfigureAwait(false);
            // The table folder keeps no empty _plan folder once no job of it has side files left.
            await foreach (var _ in adapters.ListAsync(url.Parent, recursive: false, cancellationToken).ConfigureAwait(false))
            {
                return;
            }
            await adapters.DeleteAsync(url.Parent, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Converts a COCO chunk from its side file alone (the plan's categories and mask decision come with the spec).</summary>
    private static async Task ConvertCocoAsync(JsonObject conversion, JsonObject descriptor, TableSchema schema, TableWriter writer,
        UrlAdapterRegistry adapters, TlcOptions? settings, ImageFiles.ImageQuarantine? leaveOut, CancellationToken cancellationToken)
    {
        _ = schema;
        var options = new CocoImportOptions
        {
            Task = (string)conversion["task"]! == "segment" ? CocoTask.Segment : CocoTask.Detect,
            IncludeIsCrowd = (bool)conversion["include_iscrowd"]!,
            KeepCategoryIds = (bool)conversion["keep_category_ids"]!,
            ValidateImages = (bool)conversion["validate_images"]!,
            ValidateBoxes = (bool?)conversion["validate_boxes"] ?? false,
            Keypoints = conversion["keypoints"] is JsonObject,
            Adapters = adapters,
            Settings = settings,
        };
        var labels = conversion["labels"]!.AsArray().ToDictionary(l => (long)l![0]!, l => (int)l![1]!);
        // Specs of earlier versions carry no keypoints: their tables have no keypoints column.
        CocoImporter.CocoKeypoints? keypoints = conversion["keypoints"] is JsonObject k
            ? new CocoImporter.CocoKeypoints(k["names"]!.AsArray().Count, [.. k["names"]!.AsArray().Select(n => (string)n!)],
                [.. k["skeleton"]!.AsArray().Select(e => ((int)e![0]!, (int)e[1]!))], k["categories"]!.AsArray().Select(c => (long)c!).ToHashSet())
            : null;
        var sideFile = await adapters.ReadAllBytesAsync(new Url((string)descriptor["plan_file"]!), cancellationToken).ConfigureAwait(false);
        await CocoImporter.ConvertChunkAsync((string)conversion["display"]!, new Url((string)conversion["image_folder"]!), options, labels,
            (bool)conversion["with_masks"]!, keypoints, sideFile, writer, cancellationToken, leaveOut).ConfigureAwait(false);
    }
}
