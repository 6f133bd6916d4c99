using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Tlc.Cluster;
using Tlc.Tables.Urls;

namespace Tlc.Tables.Import.Jobs;

// What the planners of file-per-row formats (YOLO, image folders) share: pages of files in side files.
public static partial class ImportJobs
{
    /// <summary>
    /// Cuts <paramref name="files"/> files (in row order) into pages of <paramref name="filesPerChunk"/> and writes each
    /// page's side file <c>files-NNNNN.json</c> into <paramref name="planFolder"/>: the JSON object
    /// <paramref name="page"/> makes for files [first, first + count), with <c>first_file</c> added. The descriptors name
    /// the side file and the page: <c>{"plan_file":…,"first_file":…,"files":…}</c>; a chunk's bytes are
    /// <paramref name="bytes"/> of its page. No files give one empty page (a job has at least one chunk). On failure the
    /// side files written so far are deleted.
    /// </summary>
    private static async Task<List<ImportChunkPlan>> WritePagesAsync(UrlAdapterRegistry adapters, Url planFolder, int files, int filesPerChunk,
        Func<int, int, JsonObject> page, Func<int, int, long> bytes, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(filesPerChunk);
        var chunks = new List<ImportChunkPlan>();
        try
        {
            for (var first = 0; first < files || chunks.Count == 0; first += filesPerChunk)
            {
                cancellationToken.ThrowIfCancellationRequested();
                var count = Math.Min(filesPerChunk, files - first);
                var json = page(first, count);
                json["first_file"] = first;
                var sideFile = planFolder.Join(string.Create(CultureInfo.InvariantCulture, $"files-{chunks.Count:D5}.json"));
                await adapters.WriteAllBytesAsync(sideFile, JsonSerializer.SerializeToUtf8Bytes(json), WriteMode.Overwrite, cancellationToken)
                    .ConfigureAwait(false);
                chunks.Add(new ImportChunkPlan(chunks.Count, new JsonObject
                {
                    ["plan_file"] = sideFile.Value,
                    ["first_file"] = first,
                    ["files"] = count,
                }.ToJsonString(), bytes(first, count)));
            }
        }
        catch
        {
            await adapters.DeleteAsync(planFolder, CancellationToken.None).ConfigureAwait(false);
            throw;
        }
        return chunks;
    }

    /// <summary>The strings of a page's side file under <paramref name="name"/>, in order.</summary>
    private static List<string> PageStrings(JsonElement page, string name) => page.GetProperty(name).EnumerateArray().Select(e => e.GetString()!).ToList();

    /// <summary>Reads a page's side file (named by the chunk's descriptor).</summary>
    private static async Task<JsonDocument> ReadPageAsync(UrlAdapterRegistry adapters, JsonObject descriptor, CancellationToken cancellationToken) =>
        JsonDocument.Parse(await adapters.ReadAllBytesAsync(new Url((string)descriptor["plan_file"]!), cancellationToken).ConfigureAwait(false));

    /// <summary>
    /// Adds converted rows to a chunk's writer; a row the writer rejects becomes an <see cref="ImportException"/> naming
    /// the row's origin (so it is the chunk's error, not a failure to retry).
    /// </summary>
    private static void AddRows(TableWriter writer, IEnumerable<(IReadOnlyDictionary<string, object?> Row, string? Origin)> rows, string display,
        CancellationToken cancellationToken)
    {
        foreach (var (row, origin) in rows)
        {
            cancellationToken.ThrowIfCancellationRequested();
            try
            {
                writer.AddRow(row, origin);
            }
            catch (RowValidationException e)
            {
                throw RowError(e, display);
            }
        }
    }

    /// <summary>A row the writer rejected, as an import error naming the row's origin (or <paramref name="display"/>).</summary>
    private static ImportException RowError(RowValidationException e, string display) =>
        new(e.Origin ?? display, null, $"column '{e.Column}': {e.Problem}", e);
}
