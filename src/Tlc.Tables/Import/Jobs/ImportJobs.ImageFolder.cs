using System.Text.Json.Nodes;
using Tlc.Cluster;
using Tlc.Schemas;
using Tlc.Tables.Configuration;
using Tlc.Tables.Urls;

namespace Tlc.Tables.Import.Jobs;

public static partial class ImportJobs
{
    /// <summary>
    /// Plans an image-folder import (<see cref="Table.FromImageFolderAsync"/>): resolves the target table (under
    /// <see cref="IfExists.Reuse"/> an existing table is returned instead, as null spec), lists the class folders (the
    /// classes) and their images once, in the one-process import's order (by class, then path), and cuts the list into
    /// pages of <see cref="ImportJobOptions.ImagesPerChunk"/> images. Each page goes into a side file
    /// <c>_plan/&lt;job id&gt;/files-NNNNN.json</c> in the table folder (the image URLs and labels), so the job's state stays
    /// small whatever the number of images; the descriptor is <c>{"plan_file":…,"first_file":…,"files":…}</c> and a
    /// chunk's bytes are its images' sizes. A chunk's conversion reads its side file only and, with
    /// <see cref="ImageFolderImportOptions.ValidateImages"/>, its images' headers: an unreadable image becomes the chunk's
    /// error with the message of the one-process import (under <see cref="ImportErrorPolicy.Skip"/> it is left out and
    /// listed in the quarantine instead). Remove the side files with <see cref="DeletePlanFilesAsync"/>
    /// once the job has ended.
    /// </summary>
    /// <param name="folder">The folder with one sub-folder per class (a local path or URL).</param>
    /// <param name="options">Validation and where to write.</param>
    /// <param name="jobId">The job's id (names the plan's side-file folder).</param>
    /// <param name="jobOptions">Chunking and error policy; default options when null.</param>
    /// <param name="cancellationToken">Cancels the planning; side files written so far are deleted.</param>
    /// <returns>The job spec, or the existing table when <see cref="ImportOptions.IfExists"/> is <see cref="IfExists.Reuse"/> and it exists.</returns>
    /// <exception cref="ImportException">The folder does not exist or has no class sub-folders.</exception>
    public static Task<(ImportPlan? Plan, Table? Existing)> PlanImageFolderAsync(string folder, ImageFolderImportOptions options, string jobId,
        ImportJobOptions? jobOptions = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(jobId);
        return PlanAsync(folder, options, jobOptions, cancellationToken, async (input, table, job) =>
        {
            ArgumentOutOfRangeException.ThrowIfNegativeOrZero(job.ImagesPerChunk);
            var listing = await ImageFolderImporter.ListAsync(input.Url, options, cancellationToken).ConfigureAwait(false);
            var planFolder = table.Join($"{PlanFolderName}/{jobId}");
            var chunks = await WritePagesAsync(options.EffectiveAdapters, planFolder, listing.Images.Count, job.ImagesPerChunk, (first, count) => new JsonObject
            {
                ["images"] = new JsonArray(listing.Images.Skip(first).Take(count).Select(i => (JsonNode?)i.Entry.Url.Value).ToArray()),
                ["labels"] = new JsonArray(listing.Images.Skip(first).Take(count).Select(i => (JsonNode?)i.Label).ToArray()),
            }, (first, count) => listing.Images.Skip(first).Take(count).Sum(i => i.Entry.Length), cancellationToken).ConfigureAwait(false);
            var conversion = new JsonObject
            {
                ["display"] = listing.Root.Value,
                ["validate_images"] = options.ValidateImages,
                ["plan_folder"] = planFolder.Value,
                ["source"] = listing.Source,
            };
            return Spec("image-folder", jobId, listing.Root, table, ImportWriting.WithOverrides(listing.Schema, options), conversion, options, job, chunks);
        });
    }

    /// <summary>Converts a page of an image-folder import: its side file's images and labels, as the one-process import does.</summary>
    private static async Task ConvertImageFolderAsync(JsonObject conversion, JsonObject descriptor, TableSchema schema, TableWriter writer,
        UrlAdapterRegistry adapters, ImageFiles.ImageQuarantine? leaveOut, CancellationToken cancellationToken)
    {
        _ = schema;
        using var page = await ReadPageAsync(adapters, descriptor, cancellationToken).ConfigureAwait(false);
        var urls = PageStrings(page.RootElement, "images");
        var labels = page.RootElement.GetProperty("labels").EnumerateArray().Select(l => l.GetInt32()).ToList();
        var images = urls.Select((u, i) => (new Url(u), labels[i])).ToList();
        var rows = await ImageFolderImporter.ConvertAsync(adapters, images, (bool)conversion["validate_images"]!, cancellationToken, leaveOut)
            .ConfigureAwait(false);
        AddRows(writer, rows, (string)conversion["display"]!, cancellationToken);
    }
}
