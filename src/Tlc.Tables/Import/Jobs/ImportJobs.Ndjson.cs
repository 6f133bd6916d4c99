using System.Text.Json.Nodes;
using Tlc.Cluster;
using Tlc.Schemas;
using Tlc.Tables.Configuration;
using Tlc.Tables.Urls;

namespace Tlc.Tables.Import.Jobs;

public static partial class ImportJobs
{
    /// <summary>
    /// Plans an NDJSON import: resolves the target table (under <see cref="IfExists.Reuse"/> an existing table is returned
    /// instead, as null spec), infers the schema from the first lines exactly as <see cref="Table.FromNdjsonAsync"/> does,
    /// then cuts the file into byte ranges of about <see cref="ImportJobOptions.ChunkBytes"/> that end at newlines (one
    /// pass counting newlines, no JSON parsing). A chunk's descriptor is <c>{"start":…,"end":…,"first_line":…}</c>; its
    /// conversion parses only its range, and errors name the file and the line in the file.
    /// </summary>
    /// <returns>The job spec, or the existing table when <see cref="ImportOptions.IfExists"/> is <see cref="IfExists.Reuse"/> and it exists.</returns>
    /// <exception cref="ImportException">Bad input among the lines read for inference (as in the one-process import).</exception>
    public static Task<(ImportPlan? Plan, Table? Existing)> PlanNdjsonAsync(string source, NdjsonImportOptions options, string jobId,
        ImportJobOptions? jobOptions = null, CancellationToken cancellationToken = default) =>
        PlanAsync(source, options, jobOptions, cancellationToken, async (input, table, job) =>
    {
        var schema = await NdjsonImporter.InferSchemaAsync(input, options, cancellationToken).ConfigureAwait(false);
        List<LineRange> ranges;
        var stream = await input.OpenAsync(cancellationToken).ConfigureAwait(false);
        await using (stream.ConfigureAwait(false))
        {
            ranges = await LineBoundaries.SplitAsync(stream, job.ChunkBytes, cancellationToken).ConfigureAwait(false);
        }
        var declared = schema.Names.Where(n => options.Schema?.ContainsKey(n) == true).ToArray();
        var conversion = new JsonObject
        {
            ["display"] = source,
            ["inference_lines"] = options.InferenceLines,
            ["declared"] = new JsonArray(declared.Select(n => (JsonNode?)JsonValue.Create(n)).ToArray()),
            ["source"] = ImportProvenance.Source("ndjson", input.Url, options, new JsonObject { ["inference_lines"] = options.InferenceLines }),
        };
        var chunks = Ranges(ranges.Select(r => (r.Start, r.End, r.FirstLine)));
        return Spec("ndjson", jobId, input.Url, table, schema, conversion, options, job, chunks);
    });

    private static async Task ConvertNdjsonAsync(JsonObject conversion, JsonObject descriptor, TableSchema schema, TableWriter writer,
        UrlAdapterRegistry adapters, TlcOptions? settings, CsvImporter.RowQuarantine? quarantine, CancellationToken cancellationToken)
    {
        var options = new NdjsonImportOptions
        {
            InferenceLines = (int)conversion["inference_lines"]!,
            Schema = conversion["declared"]!.AsArray().Select(n => (string)n!).ToDictionary(n => n, n => schema[n], StringComparer.Ordinal),
            Adapters = adapters,
            Settings = settings,
            BatchRows = (int)conversion["batch_rows"]!,
        };
        var input = new ImportInput((string)conversion["display"]!, options);
        var range = new LineRange((long)descriptor["start"]!, (long)descriptor["end"]!, (long)descriptor["first_line"]!);
        await NdjsonImporter.ConvertRangeAsync(input, options, schema, range, writer, cancellationToken, quarantine).ConfigureAwait(false);
    }
}
