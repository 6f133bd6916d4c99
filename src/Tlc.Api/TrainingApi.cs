using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Tlc.Cluster;
using Tlc.Schemas;

namespace Tlc.Api;

/// <summary>
/// The endpoints of the training API (JSON in and out; errors as <c>{"error": "..."}</c> with a 4xx status naming the field
/// and row):
/// <list type="bullet">
/// <item><c>POST /v1/ranks</c> opens a rank's share of a run's (stream, epoch) table — <c>run</c>, <c>table</c>,
/// <c>stream</c>, <c>epoch</c>, <c>columns</c> (name → type), <c>rank</c>, <c>world_size</c>, <c>launch_id</c>,
/// <c>attempt</c>, <c>require_full_coverage</c> — and answers the writer id (<c>Run.OpenRankWriterAsync</c>).</item>
/// <item><c>POST /v1/ranks/{writer}/rows</c> appends a batch: JSON columns or the binary form (<see cref="ColumnBatchReader"/>).</item>
/// <item><c>POST /v1/ranks/{writer}/close</c> closes the share (the table publishes once every rank closed).</item>
/// <item><c>POST /v1/runs/log</c> logs one rank's aggregates of a step (<c>Run.LogRankAsync</c>).</item>
/// <item><c>POST /v1/tables/samples</c> reads rows of a table (<c>table</c>, <c>rows</c> or <c>start</c>/<c>count</c>,
/// <c>columns</c>) in the binary form, images decoded to pixels (<see cref="ColumnBatchWriter"/>).</item>
/// <item><c>GET /v1/jobs/{id}</c> a job's progress, e.g. which ranks a table waits for (<see cref="JobsApi"/>).</item>
/// </list>
/// </summary>
internal static class TrainingApi
{
    public static void Map(IEndpointRouteBuilder app, RankSessions sessions)
    {
        app.MapPost("/v1/ranks", (Func<HttpContext, Task<IResult>>)(http => ApiHandling.Handle(http, async () =>
        {
            var body = await ReadObjectAsync(http);
            var rank = new RankInfo(Int(body, "rank"), Int(body, "world_size"), Int(body, "rank"), Text(body, "launch_id"), Text(body, "attempt"));
            try
            {
                rank.Validate();
            }
            catch (ArgumentException e)
            {
                throw new ApiException(400, e.Message);
            }
            var columns = body["columns"] as JsonObject ?? throw new ApiException(400, "columns: expected an object of column name → type (e.g. {\"loss\": \"float32\"}).");
            var schema = new TableSchema();
            foreach (var (name, type) in columns)
            {
                schema.Add(name, ColumnTypes.Parse(name, type is JsonValue v && v.TryGetValue<string>(out var t) ? t : throw new ApiException(400, $"columns.{name}: expected a type name.")));
            }
            var run = await sessions.RunAsync(Text(body, "run"));
            var table = await sessions.TableAsync(Text(body, "table"), "table", http.RequestAborted);
            var writer = await run.OpenRankWriterAsync(table, schema, Text(body, "stream"), Int(body, "epoch"), rank,
                new MetricsWriterOptions { RequireFullCoverage = body["require_full_coverage"]?.GetValue<bool>() ?? false }, http.RequestAborted);
            var accepted = new Dictionary<string, ColumnSchema>(StringComparer.Ordinal) { ["example_id"] = new ExampleIdSchema() };
            foreach (var (name, column) in schema)
            {
                accepted[name] = column;
            }
            var id = sessions.Add(new RankSessions.Session(writer, accepted, table.RowCount));
            return Results.Json(new { writer = id, sink_id = writer.SinkId, url = writer.Url.Value, closed = writer.IsClosed });
        })));

        app.MapPost("/v1/ranks/{writer}/rows", (HttpContext http, string writer) => ApiHandling.Handle(http, async () =>
        {
            var session = sessions.Get(writer);
            var bytes = await ReadBytesAsync(http);
            var batch = ColumnBatchReader.IsBinary(http.Request.ContentType)
                ? ColumnBatchReader.ReadBinary(bytes, session.Columns, session.TableRows)
                : ColumnBatchReader.ReadJson(bytes, session.Columns, session.TableRows);
            await session.Gate.WaitAsync(http.RequestAborted);
            try
            {
                await session.Writer.AddBatchAsync(batch.Columns, http.RequestAborted);
                return Results.Json(new { rows = session.Writer.RowCount, added = batch.Rows, closed = session.Writer.IsClosed });
            }
            finally
            {
                session.Gate.Release();
            }
        }));

        app.MapPost("/v1/ranks/{writer}/close", (HttpContext http, string writer) => ApiHandling.Handle(http, async () =>
        {
            var session = sessions.Get(writer);
            await session.Gate.WaitAsync(http.RequestAborted);
            JobProgress progress;
            try
            {
                progress = await session.Writer.CloseAsync(http.RequestAborted);
            }
            finally
            {
                session.Gate.Release();
            }
            sessions.Remove(writer);
            return Results.Json(new { closed = true, rows = session.Writer.RowCount, ranks_closed = progress.WritersClosed, world_size = progress.Writers });
        }));

        app.MapPost("/v1/runs/log", (Func<HttpContext, Task<IResult>>)(http => ApiHandling.Handle(http, async () =>
        {
            var body = await ReadObjectAsync(http);
            var rank = new RankInfo(Int(body, "rank"), Int(body, "world_size"), Int(body, "rank"), Text(body, "launch_id"), "log");
            var values = body["values"] as JsonObject ?? throw new ApiException(400, "values: expected an object of numbers.");
            var numbers = new Dictionary<string, object?>(StringComparer.Ordinal);
            foreach (var (key, value) in values)
            {
                numbers[key] = value is JsonValue v && v.TryGetValue<double>(out var d) ? d : throw new ApiException(400, $"values.{key}: {value?.ToJsonString() ?? "null"} is not a number.");
            }
            var reduction = (body["reduction"]?.GetValue<string>() ?? "mean") switch
            {
                "mean" => LogReduction.Mean,
                "sum" => LogReduction.Sum,
                var other => throw new ApiException(400, $"reduction: '{other}' is not 'mean' or 'sum'."),
            };
            var run = await sessions.RunAsync(Text(body, "run"));
            await run.LogRankAsync(numbers, rank, reduction, http.RequestAborted);
            return Results.Json(new { logged = true });
        })));

        app.MapPost("/v1/tables/samples", (Func<HttpContext, Task<IResult>>)(http => ApiHandling.Handle(http, async () =>
        {
            var body = await ReadObjectAsync(http);
            var table = await sessions.TableAsync(Text(body, "table"), "table", http.RequestAborted);
            long[] rows;
            if (body["rows"] is JsonArray list)
            {
                rows = [.. list.Select((n, i) => n is JsonValue v && v.TryGetValue<long>(out var row) ? row : throw new ApiException(400, $"rows[{i}]: {n?.ToJsonString() ?? "null"} is not a row index."))];
            }
            else
            {
                var start = body["start"]?.GetValue<long>() ?? 0;
                var count = body["count"]?.GetValue<long>() ?? table.RowCount - start;
                if (start < 0 || count < 0 || start + count > table.RowCount)
                {
                    throw new ApiException(400, $"start {start}, count {count}: outside the {table.RowCount} rows of {table.Url}.");
                }
                rows = [.. Enumerable.Range(0, checked((int)count)).Select(i => start + i)];
            }
            var columns = (body["columns"] as JsonArray ?? throw new ApiException(400, "columns: expected an array of column names.")).Select(n => n?.GetValue<string>() ?? "").ToArray();
            return Results.Bytes(ColumnBatchWriter.Samples(table, rows, columns), ColumnBatchReader.BinaryMediaType);
        })));
    }

    private static async Task<byte[]> ReadBytesAsync(HttpContext http)
    {
        using var buffer = new MemoryStream();
        await http.Request.Body.CopyToAsync(buffer, http.RequestAborted);
        return buffer.ToArray();
    }

    private static async Task<JsonObject> ReadObjectAsync(HttpContext http)
    {
        var bytes = await ReadBytesAsync(http);
        try
        {
            return JsonNode.Parse(bytes) as JsonObject ?? throw new ApiException(400, "The body must be a JSON object.");
        }
        catch (JsonException e)
        {
            throw new ApiException(400, $"The body is not JSON: {e.Message}");
        }
    }

    private static string Text(JsonObject body, string field) =>
        body[field] is JsonValue v && v.TryGetValue<string>(out var text) && text.Length > 0 ? text : throw new ApiException(400, $"{field}: a non-empty string is required.");

    private static int Int(JsonObject body, string field) =>
        body[field] is JsonValue v && v.TryGetValue<int>(out var number) ? number : throw new ApiException(400, $"{field}: an integer is required (got {body[field]?.ToJsonString() ?? "nothing"}).");
}
