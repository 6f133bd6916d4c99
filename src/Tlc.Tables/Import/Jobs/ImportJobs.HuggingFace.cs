using System.Text.Json;
using System.Text.Json.Nodes;
using Tlc.Cluster;
using Tlc.Schemas;
using Tlc.Tables.Configuration;
using Tlc.Tables.Urls;

namespace Tlc.Tables.Import.Jobs;

public static partial class ImportJobs
{
    /// <summary>
    /// Plans the import of a Hugging Face dataset saved with <c>save_to_disk</c> (<see cref="Table.FromHuggingFaceAsync"/>):
    /// resolves the target table (under <see cref="IfExists.Reuse"/> an existing table is returned instead, as null spec),
    /// reads dataset_info.json and state.json (the split's, for a <c>DatasetDict</c>) as the one-process import does, then
    /// cuts the Arrow shards, in order, into chunks of record batches: a shard of at most
    /// <see cref="ImportJobOptions.ChunkBytes"/> bytes is one chunk and is not read; a larger one is read once (Arrow IPC
    /// streams have no index) and cut between record batches into chunks of about <see cref="ImportJobOptions.ChunkBytes"/>.
    /// A descriptor names the shard (as state.json does), its first record batch and the number of batches (null: to the
    /// end of the shard), the row of the shard the chunk starts at and the byte offset of its first batch, e.g.
    /// <c>{"file":"data-00000-of-00002.arrow","first_batch":12,"batches":12,"first_row":12000,"offset":9437184}</c>. A
    /// chunk's conversion reads only its batches: of an Arrow IPC stream the schema, then from the offset (a stream with
    /// dictionary fields, or a plan without offsets, reads and drops the batches before the chunk's); of an Arrow IPC file
    /// the chunk's batches. Errors name the shard and the record batch as the one-process import
    /// does; a shard that cannot be read while planning is not cut further from its unreadable batch on, so that batch's
    /// chunk reports the error. Images stored as bytes are written as bulk data of the chunk's write, so their URLs (not
    /// their bytes) differ from those of the one-process import.
    /// <para>
    /// Under <see cref="ImportErrorPolicy.Skip"/> a row whose value cannot be read or is refused by the table writer (a
    /// ClassLabel value outside its names, a null list element, a list of the wrong length, a value that does not fit a
    /// schema override, ...) is left out and listed in the quarantine table: <c>file</c> the shard's URL, <c>row</c> the
    /// 0-based row of the shard (the fail policy's error names the record batch and the 0-based row within it),
    /// <c>column</c> the feature (with a field path for nested values), <c>reason</c> the problem; <c>line</c> is null. The
    /// batch's other rows are kept, in order. Each row is checked before the writer sees it, which costs one more pass of
    /// each value through a column builder (the fail policy does not check). A record batch that cannot be read (not
    /// readable Arrow IPC, a shard that ends early, a batch without a feature's column) has no rows to list: it fails its
    /// chunk under both policies.
    /// </para>
    /// <para>
    /// With <see cref="HuggingFaceImportOptions.ValidateImages"/> (kept in the plan) each chunk checks the images of its
    /// record batches as the one-process import does: under the fail policy the first bad image fails the chunk, naming the
    /// shard, record batch, row and column; under the skip policy its row is left out and listed (the image's column and
    /// the problem, e.g. a missing file or bytes whose header cannot be decoded).
    /// </para>
    /// </summary>
    /// <param name="path">The dataset folder (a local path or URL).</param>
    /// <param name="options">The split and where to write.</param>
    /// <param name="jobId">The job's id.</param>
    /// <param name="jobOptions">Chunk size and error policy; default options when null.</param>
    /// <param name="cancellationToken">Cancels the planning.</param>
    /// <returns>The job spec, or the existing table when <see cref="ImportOptions.IfExists"/> is <see cref="IfExists.Reuse"/> and it exists.</returns>
    /// <exception cref="ImportException">
    /// A missing dataset_info.json or state.json, a listed data file that is missing, an unknown split or a feature type that
    /// is not supported (as in the one-process import).
    /// </exception>
    public static Task<(ImportPlan? Plan, Table? Existing)> PlanHuggingFaceAsync(string path, HuggingFaceImportOptions options, string jobId,
        ImportJobOptions? jobOptions = null, CancellationToken cancellationToken = default) =>
        PlanAsync(path, options, jobOptions, cancellationToken, async (input, table, job) =>
    {
        var adapters = options.EffectiveAdapters;
        var dataset = await HuggingFaceImporter.OpenAsync(input.Url, options, cancellationToken).ConfigureAwait(false);
        var chunks = new List<ImportChunkPlan>();
        void Add(string? file, int firstBatch, int? batches, long firstRow, long bytes, long? offset = null)
        {
            var descriptor = new JsonObject
            {
                ["file"] = file,
                ["first_batch"] = firstBatch,
                ["batches"] = batches,
                ["first_row"] = firstRow,
            };
            if (offset is { } at)
            {
                descriptor["offset"] = at;
            }
            chunks.Add(new ImportChunkPlan(chunks.Count, descriptor.ToJsonString(), bytes));
        }
        foreach (var (name, shard) in dataset.Shards)
        {
            var size = await SizeAsync(adapters, shard, cancellationToken).ConfigureAwait(false);
            if (size <= job.ChunkBytes)
            {
                Add(name, 0, null, 0, size.Value);
                continue;
            }
            var ends = new List<(long Rows, long End)>();
            var unreadable = false;
            try
            {
                await HuggingFaceImporter.ReadBatchesAsync(adapters, shard, 0, null, (_, batch, end) => ends.Add((batch.Length, end)), cancellationToken)
                    .ConfigureAwait(false);
            }
            catch (ImportException)
            {
                // The conversion of the chunk holding the unreadable batch reports it, as the one-process import would.
                unreadable = true;
            }
            int first = 0, b = 0;
            long firstRow = 0, row = 0, start = 0, previous = 0;
            for (; b < ends.Count; b++)
            {
                if (b > first && ends[b].End - start > job.ChunkBytes)
                {
                    Add(name, first, b - first, firstRow, previous - start, start);
                    (first, firstRow, start) = (b, row, previous);
                }
                row += ends[b].Rows;
                previous = ends[b].End;
            }
            if (b > first)
            {
                Add(name, first, b - first, firstRow, previous - start, start);
                (first, firstRow, start) = (b, row, previous);
            }
            if (unreadable || ends.Count == 0)
            {
                // From the unreadable batch (or, for a shard without batches, its start) to the end of the shard.
                Add(name, first, null, firstRow, Math.Max(0, (size ?? previous) - start), start);
            }
        }
        if (chunks.Count == 0)
        {
            Add(null, 0, 0, 0, 0);
        }
        var conversion = new JsonObject
        {
            ["display"] = path,
            ["folder"] = dataset.Folder.Value,
            ["info_file"] = dataset.InfoFile,
            ["features"] = JsonNode.Parse(dataset.FeaturesJson),
            ["source"] = dataset.Source,
            ["validate_images"] = options.ValidateImages,
        };
        return Spec("hf", jobId, input.Url, table, ImportWriting.WithOverrides(dataset.Schema, options), conversion, options, job, chunks);
    });

    /// <summary>The size of the file at <paramref name="url"/> where the store says it without reading (null where not).</summary>
    private static async Task<long?> SizeAsync(UrlAdapterRegistry adapters, Url url, CancellationToken cancellationToken)
    {
        var stream = await adapters.OpenReadAsync(url, cancellationToken).ConfigureAwait(false);
        await using (stream.ConfigureAwait(false))
        {
            return stream.CanSeek ? stream.Length : null;
        }
    }

    /// <summary>
    /// Converts a chunk of a Hugging Face import: its record batches of its shard, with the features of the plan. With
    /// <paramref name="leaveOut"/> (skip policy) a row whose value cannot be read or is refused by the writer is left out
    /// and handed to it with the shard (its URL), the 0-based row of the shard, the column and the problem.
    /// </summary>
    private static async Task ConvertHuggingFaceAsync(JsonObject conversion, JsonObject descriptor, TableWriter writer,
        UrlAdapterRegistry adapters, Action<string, long, string?, string>? leaveOut, CancellationToken cancellationToken)
    {
        if ((string?)descriptor["file"] is not { } file)
        {
            return;
        }
        var folder = new Url((string)conversion["folder"]!);
        using var featuresJson = JsonDocument.Parse(conversion["features"]!.ToJsonString());
        var features = HuggingFaceImporter.ReadFeatures((string)conversion["info_file"]!, featuresJson.RootElement, folder);
        var shard = folder.Join(file);
        // The row of the shard that the next record batch starts at.
        var shardRow = (long)descriptor["first_row"]!;
        // Plans made before the option existed have no "validate_images".
        var validateImages = (bool?)conversion["validate_images"] ?? false;
        try
        {
            await HuggingFaceImporter.ReadBatchesAsync(adapters, shard, (int)descriptor["first_batch"]!, (int?)descriptor["batches"], async (b, batch, _) =>
            {
                var first = shardRow;
                var badImages = validateImages
                    ? await HuggingFaceImporter.CheckImagesAsync(adapters, batch, features, cancellationToken).ConfigureAwait(false)
                    : null;
                HuggingFaceImporter.WriteBatch(shard, b, batch, features, writer, cancellationToken,
                    leaveOut is null ? null : (r, column, problem) => leaveOut(shard.Value, first + r, column, problem), badImages);
                shardRow += batch.Length;
            }, cancellationToken, offset: (long?)descriptor["offset"]).ConfigureAwait(false);
        }
        catch (RowValidationException e)
        {
            throw RowError(e, shard.Value);
        }
    }
}
