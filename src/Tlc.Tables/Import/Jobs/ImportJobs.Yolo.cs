using System.Text.Json.Nodes;
using Tlc.Cluster;
using Tlc.Schemas;
using Tlc.Tables.Configuration;
using Tlc.Tables.Urls;

namespace Tlc.Tables.Import.Jobs;

public static partial class ImportJobs
{
    /// <summary>
    /// Plans a YOLO import (<see cref="Table.FromYoloUrlAsync"/>): checks the categories and pose settings, resolves the
    /// target table (under <see cref="IfExists.Reuse"/> an existing table is returned instead, as null spec), lists the
    /// images once in the one-process import's order (by path below the images folder), finds each one's label file and
    /// cuts the list into pages of <see cref="ImportJobOptions.ImagesPerChunk"/> images. Each page goes into a side file
    /// <c>_plan/&lt;job id&gt;/files-NNNNN.json</c> in the table folder (the image and label-file URLs), so the job's state
    /// stays small whatever the number of images; the descriptor is <c>{"plan_file":…,"first_file":…,"files":…}</c> and a
    /// chunk's bytes are its images' sizes. A chunk's conversion reads its side file, its images' headers and their label
    /// files only; a bad label line or an unreadable image becomes the chunk's error, with the message of the one-process
    /// import (the label file and line, or the image); under <see cref="ImportErrorPolicy.Skip"/> that image is left out
    /// as a whole row and listed in the quarantine instead. A missing label file is no error: the image has no objects.
    /// Remove the side files with <see cref="DeletePlanFilesAsync"/> once
    /// the job has ended.
    /// </summary>
    /// <param name="imagesFolder">The images folder (a local path or URL).</param>
    /// <param name="categories">The class names: class id i is <paramref name="categories"/>[i].</param>
    /// <param name="options">Task, labels folder and where to write.</param>
    /// <param name="jobId">The job's id (names the plan's side-file folder).</param>
    /// <param name="jobOptions">Chunking and error policy; default options when null.</param>
    /// <param name="cancellationToken">Cancels the planning; side files written so far are deleted.</param>
    /// <returns>The job spec, or the existing table when <see cref="ImportOptions.IfExists"/> is <see cref="IfExists.Reuse"/> and it exists.</returns>
    /// <exception cref="ArgumentException">No categories, or a pose import without valid keypoint settings.</exception>
    /// <exception cref="ImportException">The images folder does not exist or holds no images, or no labels folder can be derived.</exception>
    public static async Task<(ImportPlan? Plan, Table? Existing)> PlanYoloAsync(string imagesFolder, IReadOnlyList<string> categories,
        YoloImportOptions options, string jobId, ImportJobOptions? jobOptions = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(imagesFolder);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentException.ThrowIfNullOrWhiteSpace(jobId);
        var keypoints = YoloImporter.CheckArguments(categories, options);
        return await PlanAsync(imagesFolder, options, jobOptions, cancellationToken, async (input, table, job) =>
        {
            ArgumentOutOfRangeException.ThrowIfNegativeOrZero(job.ImagesPerChunk);
            var listing = await YoloImporter.ListAsync(input.Url, categories, options, keypoints, cancellationToken).ConfigureAwait(false);
            var planFolder = table.Join($"{PlanFolderName}/{jobId}");
            var chunks = await WritePagesAsync(options.EffectiveAdapters, planFolder, listing.Images.Count, job.ImagesPerChunk, (first, count) => new JsonObject
            {
                ["images"] = new JsonArray(listing.Images.Skip(first).Take(count).Select(i => (JsonNode?)i.Url.Value).ToArray()),
                ["labels"] = new JsonArray(listing.LabelFiles.Skip(first).Take(count).Select(l => (JsonNode?)l.Value).ToArray()),
            }, (first, count) => listing.Images.Skip(first).Take(count).Sum(i => i.Length), cancellationToken).ConfigureAwait(false);
            var conversion = new JsonObject
            {
                ["display"] = listing.ImagesFolder.Value,
                ["task"] = options.Task.ToString().ToLowerInvariant(),
                ["classes"] = categories.Count,
                ["keypoints"] = keypoints,
                ["keypoint_dims"] = options.KeypointDims,
                ["validate_boxes"] = options.ValidateBoxes,
                ["plan_folder"] = planFolder.Value,
                ["source"] = listing.Source,
            };
            return Spec("yolo", jobId, listing.ImagesFolder, table, ImportWriting.WithOverrides(listing.Schema, options), conversion, options, job, chunks);
        }).ConfigureAwait(false);
    }

    /// <summary>Converts a page of a YOLO import: its side file's images and label files, as the one-process import does.</summary>
    private static async Task ConvertYoloAsync(JsonObject conversion, JsonObject descriptor, TableSchema schema, TableWriter writer,
        UrlAdapterRegistry adapters, TlcOptions? settings, ImageFiles.ImageQuarantine? leaveOut, CancellationToken cancellationToken)
    {
        _ = schema;
        var options = new YoloImportOptions
        {
            Task = Enum.Parse<YoloTask>((string)conversion["task"]!, ignoreCase: true),
            NumKeypoints = (int)conversion["keypoints"]!,
            KeypointDims = (int)conversion["keypoint_dims"]!,
            ValidateBoxes = (bool?)conversion["validate_boxes"] ?? false,
            Adapters = adapters,
            Settings = settings,
        };
        using var page = await ReadPageAsync(adapters, descriptor, cancellationToken).ConfigureAwait(false);
        var images = PageStrings(page.RootElement, "images").Select(u => new Url(u)).ToList();
        var labels = PageStrings(page.RootElement, "labels").Select(u => new Url(u)).ToList();
        var rows = await YoloImporter.ConvertAsync(adapters, images, labels, options, (int)conversion["classes"]!, (int)conversion["keypoints"]!,
            cancellationToken, leaveOut).ConfigureAwait(false);
        AddRows(writer, rows, (string)conversion["display"]!, cancellationToken);
    }
}
