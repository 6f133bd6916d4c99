using System.Text.Json;
using System.Text.Json.Nodes;
using Apache.Arrow;
using Apache.Arrow.Ipc;
using Tlc.Schemas;
using Tlc.Tables.Arrow;
using Tlc.Tables.Urls;

namespace Tlc.Tables.Import;

/// <summary>
/// Imports a dataset written by Hugging Face <c>datasets</c>' <c>save_to_disk</c>: a folder with <c>dataset_info.json</c>
/// (the features), <c>state.json</c> (<c>_data_files</c>: the Arrow shards, in order) and the shards, Arrow IPC streams
/// (Arrow IPC files are read too). A <c>DatasetDict</c> folder (<c>dataset_dict.json</c> listing the splits, one
/// sub-folder each) imports the split <see cref="HuggingFaceImportOptions.Split"/>.
/// </summary>
/// <remarks>
/// Columns follow the features in order (see <see cref="HuggingFaceFeature"/> for the mapping). Images are written as
/// bulk data through the table writer (the png sample type) when the dataset holds their bytes: the bytes are stored as
/// they are, so a JPEG stays a JPEG (decoding goes by content, not by name); an image stored only by path keeps that path
/// (resolved against the dataset folder when relative). All columns are nullable, as Arrow fields of <c>datasets</c> are.
/// With <see cref="HuggingFaceImportOptions.ValidateImages"/> each record batch's images are checked (in parallel) before
/// its rows are written.
/// </remarks>
internal static class HuggingFaceImporter
{
    /// <summary>
    /// What a Hugging Face import decides before reading any shard: the dataset folder (the split's), dataset_info.json
    /// (for errors), its <c>features</c> object (JSON) and the features read from it, the shards in order (their names in
    /// state.json and URLs), the schema (before overrides) and the provenance.
    /// </summary>
    internal sealed record HuggingFaceDataset(Url Folder, string InfoFile, string FeaturesJson, IReadOnlyList<(string Name, HuggingFaceFeature Feature)> Features,
        IReadOnlyList<(string Name, Url Url)> Shards, TableSchema Schema, JsonObject Source);

    public static async Task<Table> ImportAsync(Url datasetFolder, HuggingFaceImportOptions options, CancellationToken cancellationToken)
    {
        if (await options.FindReusableAsync(cancellationToken).ConfigureAwait(false) is { } reused)
        {
            return reused;
        }
        var adapters = options.EffectiveAdapters;
        var dataset = await OpenAsync(datasetFolder, options, cancellationToken).ConfigureAwait(false);
        await using var writer = await TableWriter.CreateAsync(options.ToWriterOptions(ImportWriting.WithOverrides(dataset.Schema, options), dataset.Source),
            cancellationToken).ConfigureAwait(false);
        foreach (var (_, shard) in dataset.Shards)
        {
            await ReadBatchesAsync(adapters, shard, 0, null, async (b, batch, _) =>
            {
                var badImages = options.ValidateImages
                    ? await CheckImagesAsync(adapters, batch, dataset.Features, cancellationToken).ConfigureAwait(false)
                    : null;
                WriteBatch(shard, b, batch, dataset.Features, writer, cancellationToken, badImages: badImages);
            }, cancellationToken).ConfigureAwait(false);
        }
        return await writer.FinalizeAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Reads what decides the table: the split folder of a <c>DatasetDict</c>, dataset_info.json (the features) and
    /// state.json (the shards, each of which must exist). No shard is read.
    /// </summary>
    internal static async Task<HuggingFaceDataset> OpenAsync(Url datasetFolder, HuggingFaceImportOptions options, CancellationToken cancellationToken)
    {
        var adapters = options.EffectiveAdapters;
        var folder = adapters.Expand(datasetFolder);
        var dictFile = folder.Join("dataset_dict.json");
        if (await adapters.ExistsAsync(dictFile, cancellationToken).ConfigureAwait(false))
        {
            folder = await SplitFolderAsync(adapters, dictFile, options.Split, cancellationToken).ConfigureAwait(false);
        }
        var infoFile = folder.Join("dataset_info.json");
        var stateFile = folder.Join("state.json");
        using var info = await ReadJsonAsync(adapters, infoFile, "a dataset saved with save_to_disk has dataset_info.json (its features)", cancellationToken)
            .ConfigureAwait(false);
        using var state = await ReadJsonAsync(adapters, stateFile, "a dataset saved with save_to_disk has state.json (its data files)", cancellationToken)
            .ConfigureAwait(false);

        if (info.RootElement.ValueKind != JsonValueKind.Object || !info.RootElement.TryGetProperty("features", out var featuresJson)
            || featuresJson.ValueKind != JsonValueKind.Object)
        {
            throw new ImportException(infoFile.Value, "features", "no 'features' object");
        }
        var features = ReadFeatures(infoFile.Value, featuresJson, folder);

        var shards = ReadDataFiles(stateFile, state.RootElement, folder);
        for (var i = 0; i < shards.Count; i++)
        {
            if (!await adapters.ExistsAsync(shards[i].Url, cancellationToken).ConfigureAwait(false))
            {
                throw new ImportException(stateFile.Value, $"_data_files[{i}]", $"the data file '{shards[i].Url.Name}' is missing ({shards[i].Url})");
            }
        }

        var schema = new TableSchema(features.Select(f => new KeyValuePair<string, ColumnSchema>(f.Name, f.Feature.Schema)));
        var source = ImportProvenance.Source("hugging_face", folder, options, new JsonObject
        {
            ["split"] = state.RootElement.TryGetProperty("_split", out var split) && split.ValueKind == JsonValueKind.String ? split.GetString() : null,
            ["data_files"] = new JsonArray(shards.Select(s => (JsonNode?)s.Url.Name).ToArray()),
            ["validate_images"] = options.ValidateImages,
        });
        return new HuggingFaceDataset(folder, infoFile.Value, featuresJson.GetRawText(), features, shards, schema, source);
    }

    /// <summary>
    /// The columns of the <c>features</c> object <paramref name="featuresJson"/> of dataset_info.json
    /// (<paramref name="infoFile"/>, for errors), in order; image paths resolve against <paramref name="folder"/>.
    /// </summary>
    internal static List<(string Name, HuggingFaceFeature Feature)> ReadFeatures(string infoFile, JsonElement featuresJson, Url folder)
    {
        string ResolvePath(string path) => Url.IsAbsolute(path) ? new Url(path).Value : folder.Join(path).Value;
        var features = new List<(string Name, HuggingFaceFeature Feature)>();
        foreach (var property in featuresJson.EnumerateObject())
        {
            features.Add((property.Name,
                HuggingFaceFeature.Read(infoFile, $"features.{property.Name}", property.Value, topLevel: true, ResolvePath)));
        }
        if (features.Count == 0)
        {
            throw new ImportException(infoFile, "features", "the dataset has no features");
        }
        return features;
    }

    private static async Task<Url> SplitFolderAsync(UrlAdapterRegistry adapters, Url dictFile, string split, CancellationToken cancellationToken)
    {
        using var dict = await ReadJsonAsync(adapters, dictFile, "", cancellationToken).ConfigureAwait(false);
        if (dict.RootElement.ValueKind != JsonValueKind.Object || !dict.RootElement.TryGetProperty("splits", out var splits)
            || splits.ValueKind != JsonValueKind.Array)
        {
            throw new ImportException(dictFile.Value, "splits", "no 'splits' list");
        }
        var names = splits.EnumerateArray().Select(s => s.ValueKind == JsonValueKind.String ? s.GetString()! : s.GetRawText()).ToList();
        if (!names.Contains(split, StringComparer.Ordinal))
        {
            throw new ImportException(dictFile.Value, "splits", $"no split '{split}' (splits: {string.Join(", ", names)}); set Split");
        }
        return dictFile.Parent.Join(split);
    }

    private static async Task<JsonDocument> ReadJsonAsync(UrlAdapterRegistry adapters, Url file, string missing, CancellationToken cancellationToken)
    {
        byte[] bytes;
        try
        {
            bytes = await adapters.ReadAllBytesAsync(file, cancellationToken).ConfigureAwait(false);
        }
        catch (UrlNotFoundException e)
        {
            throw new ImportException(file.Value, null, $"the file is missing{(missing.Length == 0 ? "" : ": " + missing)}", e);
        }
        try
        {
            return JsonDocument.Parse(bytes);
        }
        catch (JsonException e)
        {
            throw MalformedJson.Error(file.Value, e);
        }
    }

    private static List<(string Name, Url Url)> ReadDataFiles(Url stateFile, JsonElement state, Url folder)
    {
        if (state.ValueKind != JsonValueKind.Object || !state.TryGetProperty("_data_files", out var files) || files.ValueKind != JsonValueKind.Array)
        {
            throw new ImportException(stateFile.Value, "_data_files", "no '_data_files' list");
        }
        var result = new List<(string Name, Url Url)>();
        var i = 0;
        foreach (var file in files.EnumerateArray())
        {
            if (file.ValueKind != JsonValueKind.Object || !file.TryGetProperty("filename", out var name) || name.ValueKind != JsonValueKind.String
                || string.IsNullOrEmpty(name.GetString()) || Url.IsAbsolute(name.GetString()!))
            {
                throw new ImportException(stateFile.Value, $"_data_files[{i}]", "expected {\"filename\": \"<file in the dataset folder>\"}");
            }
            result.Add((name.GetString()!, folder.Join(name.GetString()!)));
            i++;
        }
        return result;
    }

    /// <summary>
    /// Reads record batches <paramref name="firstBatch"/> to <paramref name="firstBatch"/> + <paramref name="count"/> - 1 of
    /// <paramref name="shard"/> (to its end when <paramref name="count"/> is null) and hands each to
    /// <paramref name="visit"/> with its index in the shard and the stream position after it. An Arrow IPC stream (what
    /// <c>save_to_disk</c> writes) has no index: given <paramref name="offset"/> (where <paramref name="firstBatch"/>
    /// starts, as a planner saw it) the reader reads the schema and goes there, unless the schema has dictionary fields
    /// (dictionary batches may sit between record batches); otherwise the batches before <paramref name="firstBatch"/> are
    /// read and dropped. An Arrow IPC file is read from its footer, at the batches asked for.
    /// </summary>
    /// <exception cref="ImportException">The shard is not readable Arrow IPC (naming it and the record batch), or it ends before the batches asked for.</exception>
    internal static Task ReadBatchesAsync(UrlAdapterRegistry adapters, Url shard, int firstBatch, int? count, Action<int, RecordBatch, long> visit,
        CancellationToken cancellationToken, long? offset = null) =>
        ReadBatchesAsync(adapters, shard, firstBatch, count, (b, batch, end) =>
        {
            visit(b, batch, end);
            return Task.CompletedTask;
        }, cancellationToken, offset);

    /// <summary>
    /// <see cref="ReadBatchesAsync(UrlAdapterRegistry, Url, int, int?, Action{int, RecordBatch, long}, CancellationToken, long?)"/>
    /// with a visitor that is awaited before the next batch is read (the batch is disposed after it).
    /// </summary>
    internal static async Task ReadBatchesAsync(UrlAdapterRegistry adapters, Url shard, int firstBatch, int? count, Func<int, RecordBatch, long, Task> visit,
        CancellationToken cancellationToken, long? offset = null)
    {
        var end = count is { } n ? firstBatch + n : int.MaxValue;
        var stream = await adapters.OpenReadAsync(shard, cancellationToken).ConfigureAwait(false);
        await using (stream.ConfigureAwait(false))
        {
            Stream input = stream;
            if (!stream.CanSeek)
            {
                var copy = new MemoryStream();
                await stream.CopyToAsync(copy, cancellationToken).ConfigureAwait(false);
                copy.Position = 0;
                input = copy;
            }
            var magic = new byte[6];
            var read = await input.ReadAtLeastAsync(magic, magic.Length, throwOnEndOfStream: false, cancellationToken).ConfigureAwait(false);
            input.Position = 0;
            var isFile = read == 6 && magic.AsSpan().SequenceEqual("ARROW1"u8);
            var b = firstBatch;
            if (isFile)
            {
                using var reader = new ArrowFileReader(input, allocator: null!, Storage.Compression.Codecs, leaveOpen: true);
                var batches = await ReadAsync<int>(shard, 0, () => reader.RecordBatchCountAsync().AsTask()).ConfigureAwait(false);
                for (; b < Math.Min(batches, end); b++)
                {
                    var index = b;
                    using var batch = await ReadAsync<RecordBatch>(shard, index, () => reader.ReadRecordBatchAsync(index, cancellationToken).AsTask()).ConfigureAwait(false);
                    await visit(index, batch, input.Position).ConfigureAwait(false);
                }
            }
            else
            {
                using var reader = new ArrowStreamReader(input, Storage.Compression.Codecs, leaveOpen: true);
                // The reader reads each message exactly (no read-ahead), so after the schema the stream can be moved to a batch.
                var skip = firstBatch;
                if (offset is { } at && firstBatch > 0
                    && !(await ReadAsync<Schema>(shard, 0, () => reader.GetSchema(cancellationToken).AsTask()).ConfigureAwait(false)).FieldsList.Any(HasDictionary))
                {
                    input.Position = at;
                    skip = 0;
                }
                for (var skipped = 0; skipped < skip; skipped++)
                {
                    using var dropped = await ReadAsync<RecordBatch?>(shard, skipped, () => reader.ReadNextRecordBatchAsync(cancellationToken).AsTask()).ConfigureAwait(false);
                    if (dropped is null)
                    {
                        break;
                    }
                }
                for (; b < end; b++)
                {
                    var index = b;
                    using var batch = await ReadAsync<RecordBatch?>(shard, index, () => reader.ReadNextRecordBatchAsync(cancellationToken).AsTask()).ConfigureAwait(false);
                    if (batch is null)
                    {
                        break;
                    }
                    await visit(index, batch, input.Position).ConfigureAwait(false);
                }
            }
            if (count is not null && b < end)
            {
                throw new ImportException(shard.Value, $"record batch {b}",
                    $"the file ends before record batch {end - 1}: it changed since the import was planned");
            }
        }
    }

    /// <summary>Runs one read of an Arrow reader, turning a malformed shard into an error that names it.</summary>
    private static async Task<T> ReadAsync<T>(Url shard, int batchIndex, Func<Task<T>> read)
    {
        try
        {
            return await read().ConfigureAwait(false);
        }
        catch (Exception e) when (e is InvalidDataException or EndOfStreamException or ArgumentException or NotSupportedException
                                      or OverflowException or InvalidOperationException or IndexOutOfRangeException)
        {
            throw new ImportException(shard.Value, $"record batch {batchIndex}", $"not a readable Arrow IPC stream: {e.Message}", e);
        }
    }

    /// <summary>A row of a record batch that the skip policy leaves out: its index in the batch, the column (or field path) and the problem.</summary>
    internal delegate void RowQuarantine(int row, string? column, string problem);

    /// <summary>
    /// Writes the rows of one record batch of <paramref name="shard"/>, the features' columns in order. Without
    /// <paramref name="leaveOut"/> (fail policy) the first bad row is thrown: a value that cannot be read as an
    /// <see cref="ImportException"/> naming the record batch and column, a value the writer refuses as the writer's
    /// <see cref="RowValidationException"/> whose origin names the record batch and row. With it (skip policy) each such
    /// row is handed to <paramref name="leaveOut"/> instead and the batch's other rows are written, in order: every row is
    /// checked by a <see cref="RowProbe"/> before the writer sees it, since a row the writer refuses fails the writer.
    /// A batch that lacks a feature's column is thrown under both policies (no row of it can be read). With
    /// <paramref name="badImages"/> (what <see cref="CheckImagesAsync"/> found) a row with a bad image is bad too: without
    /// <paramref name="leaveOut"/> it is thrown as an <see cref="ImportException"/> naming the record batch, row and column.
    /// </summary>
    internal static void WriteBatch(Url shard, int batchIndex, RecordBatch batch, IReadOnlyList<(string Name, HuggingFaceFeature Feature)> features,
        TableWriter writer, CancellationToken cancellationToken, RowQuarantine? leaveOut = null, IReadOnlyList<(string Column, string Problem)?>? badImages = null)
    {
        var columns = new IArrowArray[features.Count];
        for (var c = 0; c < features.Count; c++)
        {
            var index = batch.Schema.GetFieldIndex(features[c].Name);
            if (index < 0)
            {
                throw new ImportException(shard.Value, $"record batch {batchIndex}",
                    $"no column '{features[c].Name}' for the feature of dataset_info.json (columns: {string.Join(", ", batch.Schema.FieldsList.Select(f => f.Name))})");
            }
            columns[c] = batch.Column(index);
        }
        var probe = leaveOut is null ? null : new RowProbe(writer.Schema, features);
        for (var r = 0; r < batch.Length; r++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var row = new Dictionary<string, object?>(features.Count, StringComparer.Ordinal);
            string? badColumn = null, problem = null;
            for (var c = 0; c < features.Count; c++)
            {
                object? value;
                try
                {
                    value = ReadValue(columns[c], r);
                }
                catch (NotSupportedException e)
                {
                    if (leaveOut is null)
                    {
                        throw new ImportException(shard.Value, $"record batch {batchIndex}, column '{features[c].Name}'", e.Message, e);
                    }
                    (badColumn, problem) = (features[c].Name, e.Message);
                    break;
                }
                row[features[c].Name] = features[c].Feature.Convert is { } convert ? convert(value) : value;
            }
            if (problem is null && badImages?[r] is { } badImage)
            {
                if (leaveOut is null)
                {
                    throw new ImportException(shard.Value, $"record batch {batchIndex}, row {r}, column '{badImage.Column}'", badImage.Problem);
                }
                (badColumn, problem) = badImage;
            }
            if (problem is null && probe?.Check(row, r) is { } refused)
            {
                (badColumn, problem) = (refused.Column, refused.Problem);
            }
            if (problem is not null)
            {
                leaveOut!(r, badColumn, problem);
                continue;
            }
            writer.AddRow(row, $"{shard.Value}:record batch {batchIndex}, row {r}");
        }
    }

    /// <summary>
    /// Checks every value of the Image features of one record batch (<see cref="HuggingFaceImportOptions.ValidateImages"/>),
    /// in parallel, as the other vision importers check image files (<see cref="ImageFiles"/>): embedded bytes must have a
    /// decodable image header; an image stored by path (resolved as the import resolves it) must exist and have one. Returns
    /// for each row of the batch its first bad image in feature order (the column and the problem), null for a row whose
    /// images are good, or null when nothing was checked. A value that cannot be read, or a missing column, is left to
    /// <see cref="WriteBatch"/> to report.
    /// </summary>
    internal static async Task<(string Column, string Problem)?[]?> CheckImagesAsync(UrlAdapterRegistry adapters, RecordBatch batch,
        IReadOnlyList<(string Name, HuggingFaceFeature Feature)> features, CancellationToken cancellationToken)
    {
        // In feature order, then row order: the first problem found for a row below is its first in feature order.
        var images = new List<(int Row, string Column, object Value)>();
        foreach (var (name, feature) in features)
        {
            var index = batch.Schema.GetFieldIndex(name);
            if (feature.Schema is not ImageSchema || index < 0)
            {
                continue;
            }
            var column = batch.Column(index);
            for (var r = 0; r < batch.Length; r++)
            {
                object? value;
                try
                {
                    value = ReadValue(column, r);
                }
                catch (NotSupportedException)
                {
                    continue;
                }
                if ((feature.Convert is { } convert ? convert(value) : value) is (byte[] or string) and { } image)
                {
                    images.Add((r, name, image));
                }
            }
        }
        if (images.Count == 0)
        {
            return null;
        }
        var problems = new string?[images.Count];
        var parallel = new ParallelOptions
        {
            MaxDegreeOfParallelism = Math.Max(2, Environment.ProcessorCount),
            CancellationToken = cancellationToken,
        };
        await Parallel.ForEachAsync(Enumerable.Range(0, images.Count), parallel, async (i, ct) => problems[i] = images[i].Value switch
        {
            byte[] bytes => ImageFiles.Check(bytes) is { } problem ? $"{problem}: the embedded bytes ({bytes.Length} bytes)" : null,
            _ => await ImageFiles.CheckAsync(adapters, adapters.Expand(new Url((string)images[i].Value)), ct).ConfigureAwait(false),
        }).ConfigureAwait(false);
        var bad = new (string Column, string Problem)?[batch.Length];
        for (var i = 0; i < images.Count; i++)
        {
            if (problems[i] is { } problem && bad[images[i].Row] is null)
            {
                bad[images[i].Row] = (images[i].Column, problem);
            }
        }
        return bad;
    }

    /// <summary>
    /// Checks rows of one record batch against the writer's columns before the writer sees them (skip policy). The writer's
    /// checks are those of its column builders (types, ranges, class values, nulls, list lengths), so each value goes to a
    /// builder of the probe's own, whose arrays are never used; a builder that refused a value (it may hold part of it) is
    /// replaced. Images the writer saves as bulk data (encoded bytes) are stored as URL strings, so they are checked as a
    /// string; nothing is written.
    /// </summary>
    internal sealed class RowProbe
    {
        private readonly string[] _names;
        private readonly ColumnSchema[] _schemas;
        private readonly bool[] _bulkImages;
        private readonly ColumnBuilder[] _builders;
        private const int ProbeRows = 4096;
        private long _probed;

        /// <summary>A probe of the features' columns of <paramref name="schema"/> (the writer's).</summary>
        public RowProbe(TableSchema schema, IReadOnlyList<(string Name, HuggingFaceFeature Feature)> features)
        {
            _names = features.Select(f => f.Name).ToArray();
            _schemas = _names.Select(n => schema[n]).ToArray();
            _bulkImages = _schemas.Select(s => s.SampleType is SampleTypes.Png or SampleTypes.Jpeg or SampleTypes.Webp).ToArray();
            _builders = _names.Select((n, c) => ColumnBuilder.Create(_schemas[c], n)).ToArray();
        }

        /// <summary>Why the writer would refuse <paramref name="row"/> (row <paramref name="index"/>, for the error), or null.</summary>
        public RowValidationException? Check(IReadOnlyDictionary<string, object?> row, long index)
        {
            for (var c = 0; c < _names.Length; c++)
            {
                var value = row[_names[c]];
                if (_bulkImages[c] && value is byte[])
                {
                    value = "";
                }
                try
                {
                    _builders[c].Append(value, index);
                }
                catch (RowValidationException e)
                {
                    _builders[c] = ColumnBuilder.Create(_schemas[c], _names[c]);
                    return e;
                }
            }
            if (++_probed % ProbeRows == 0)
            {
                // The probe's values are never written: start over rather than hold every row of the chunk.
                for (var c = 0; c < _builders.Length; c++)
                {
                    _builders[c] = ColumnBuilder.Create(_schemas[c], _names[c]);
                }
            }
            return null;
        }
    }

    private static bool HasDictionary(Field field) =>
        field.DataType is Apache.Arrow.Types.DictionaryType || (field.DataType is Apache.Arrow.Types.NestedType nested && nested.Fields.Any(HasDictionary));

    private static object? ReadValue(IArrowArray array, int index) => array switch
    {
        _ when array.IsNull(index) => null,
        LargeBinaryArray a => a.GetBytes(index).ToArray(),
        _ => ArrowValues.GetValue(array, index),
    };
}
