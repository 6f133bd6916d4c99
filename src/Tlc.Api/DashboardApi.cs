using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Primitives;
using Tlc.Schemas;
using Tlc.Tables;
using Tlc.Tables.Export;
using Tlc.Tables.Querying;
using Tlc.Tables.Samples;
using Tlc.Tables.Storage;

namespace Tlc.Api;

/// <summary>
/// The endpoints the dashboard reads (JSON; errors as in <see cref="ApiHandling"/>), for any script as well:
/// <list type="bullet">
/// <item><c>GET /v1/projects</c>: the project names under the root.</item>
/// <item><c>GET /v1/tables?project=&amp;dataset=</c>: every table with its rows, lineage (kind, parents) and revision.</item>
/// <item><c>GET /v1/runs?project=</c>: every run with its status, parameters, aggregates and metrics tables.</item>
/// <item><c>GET /v1/runs/log?project=&amp;run=</c>: every entry a run logged (epoch, step and aggregates), in order.</item>
/// <item><c>GET /v1/rows?table=URL&amp;filter=…&amp;sort=&amp;desc=&amp;offset=&amp;limit=</c>: one page of a table's rows,
/// filtered and sorted server-side (<see cref="RowQueries"/>); <c>filter</c> repeats, each as <c>tlc table filter</c>
/// writes it (<c>label==dog</c>, <c>loss&gt;0.5</c>, <c>name~abc</c>); categorical values come with their class names.</item>
/// <item><c>GET /v1/histogram?table=URL&amp;column=&amp;bins=&amp;filter=…</c>: a numeric column's histogram.</item>
/// <item>With <c>join=input</c>, <c>rows</c>, <c>histogram</c> and <c>values</c> of a metrics table run over its rows joined to
/// the input rows they describe (<see cref="MetricsJoin"/>); each item then carries its <c>input_row</c>.</item>
/// <item><c>GET /v1/columns?table=URL&amp;column=…&amp;filter=…</c>: whole columns of the matching rows as one Arrow IPC
/// stream (<c>application/vnd.apache.arrow.stream</c>): a <c>row</c> column and each column asked for (<c>column</c>
/// repeats), numbers and embeddings only (<see cref="ColumnBatches"/>) — what the embedding scatter draws.</item>
/// <item>With <c>compare=URL</c> (metrics table B over the same input table as <c>table</c>, A; with or without
/// <c>join=input</c>), <c>rows</c>, <c>columns</c>, <c>histogram</c>, <c>values</c> and <c>confusion</c> run over A's rows compared per
/// sample with B's (<see cref="MetricsComparison"/>): B's columns as <c>b.&lt;name&gt;</c> and
/// <c>delta.&lt;name&gt;</c> = B − A for every numeric measure both have (positive where B's is higher), nulls where B
/// lacks the sample; each item then carries its <c>compare_row</c> (null where B lacks it).</item>
/// <item><c>GET /v1/sample/metrics?table=URL&amp;row=</c>: the sample of a run's metrics table row measured in every
/// metrics table of that run and stream over the same input (its metrics across epochs), in epoch order.</item>
/// <item><c>GET /v1/values?table=URL&amp;column=&amp;max=&amp;filter=…</c>: a column's most frequent values with their counts.</item>
/// <item><c>GET /v1/confusion?table=URL&amp;actual=&amp;predicted=&amp;filter=…</c>: how often each pair of an actual and a
/// predicted class occurs (a confusion matrix), with the class names.</item>
/// <item><c>POST /v1/edits</c> (JSON: <c>table</c>, <c>rows</c> — or <c>match</c> {table, join, compare, filter}: every row a
/// view's filters keep, e.g. a brush or lasso selection — and <c>weight</c>, <c>set</c> {column: value} and/or
/// <c>delete</c>) publishes a revision of the table with the rows edited; 409 with the <c>head</c> when the table is no
/// longer its lineage's head.</item>
/// <item><c>GET /v1/image?table=URL&amp;row=&amp;column=&amp;size=</c>: a row's image as PNG, scaled to fit size × size (0: full
/// size); cached by table revision.</item>
/// </list>
/// Tables are served only from under the root the API was started for.
/// </summary>
internal static class DashboardApi
{
    /// <summary>The media type of <c>/v1/columns</c>: an Arrow IPC stream.</summary>
    public const string ColumnsMediaType = "application/vnd.apache.arrow.stream";

    /// <summary>The most rows one page may ask for.</summary>
    public const int MaxPageRows = 10_000;

    public static void Map(IEndpointRouteBuilder app, RankSessions sessions, ClusterContext context, ThumbnailCache thumbnails)
    {
        var orders = new RowOrderCache();
        Get(app, "/v1/projects", http => ApiHandling.Handle(http, async () =>
            Results.Json(new { projects = await RootCatalog.ListProjectsAsync(context.Adapters, context.Root, http.RequestAborted) })));

        Get(app, "/v1/tables", http => ApiHandling.Handle(http, async () =>
        {
            var tables = await RootCatalog.ListTablesAsync(context.Adapters, context.Root, Optional(http, "project"), Optional(http, "dataset"), http.RequestAborted);
            return Results.Json(new
            {
                tables = tables.Select(t => new
                {
                    url = t.Url.Value, project = t.Project, dataset = t.Dataset, name = t.Object.Name, rows = t.Object.RowCount,
                    lineage = t.Object.Lineage.Kind, parents = t.Object.Lineage.Parents.Select(p => p.Url), revision = t.Object.Revision.Number,
                    created = t.Object.Created, description = t.Object.Description,
                }),
            });
        }));

        Get(app, "/v1/runs", http => ApiHandling.Handle(http, async () =>
        {
            var runs = await RootCatalog.ListRunsAsync(context.Adapters, context.Root, Optional(http, "project"), http.RequestAborted);
            return Results.Json(new
            {
                runs = runs.Select(r => new
                {
                    project = r.Project, name = r.Name, url = r.Url.Value, status = r.Snapshot["status"], created = r.Snapshot["created"], updated = r.Snapshot["updated"],
                    parameters = r.Snapshot["parameters"], aggregates = r.Snapshot["aggregates"], metrics = r.Snapshot["metrics"],
                }),
            });
        }));

        Get(app, "/v1/runs/log", http => ApiHandling.Handle(http, async () =>
        {
            var project = Required(http, "project");
            var name = Required(http, "run");
            var info = await context.RunGrain(project, name).GetAsync().WaitAsync(http.RequestAborted);
            if (string.IsNullOrEmpty(info.Url))
            {
                throw new ApiException(404, $"run: there is no run {project}/{name} under this root.");
            }
            var entries = await Run.ReadLogAsync(context.Adapters, new Url(info.Url), info.LogSegments, http.RequestAborted);
            return Results.Json(new { project, run = name, status = info.Status.ToString(), entries });
        }));

        Get(app, "/v1/rows", http => ApiHandling.Handle(http, async () =>
        {
            var read = await SourceAsync(http, sessions);
            var (table, join, compare) = read;
            var source = read.Rows;
            var query = new RowQuery
            {
                Filters = Filters(http),
                SortBy = Optional(http, "sort"),
                Descending = Flag(http, "desc"),
                Offset = Number(http, "offset", 0, 0, long.MaxValue),
                Limit = (int)Number(http, "limit", 100, 0, MaxPageRows),
            };
            var ordered = orders.GetOrAdd(string.Join('\n', [read.Identity, query.SortBy ?? "", query.Descending ? "desc" : "asc", .. query.Filters.Select(f => f.ToJson().ToJsonString())]),
                () => RowQueries.Ordered(source, query.Filters, query.SortBy, query.Descending, http.RequestAborted));
            var page = RowQueries.Page(ordered, query.Offset, query.Limit);
            return JsonAnswer(json =>
            {
                json.WriteString("table", table.Url.Value);
                json.WriteNumber("rows", table.RowCount);
                if (join is not null)
                {
                    json.WriteString("input_table", join.Input.Url.Value);
                }
                if (compare is not null)
                {
                    json.WriteString("compare_table", compare.B.Url.Value);
                }
                json.WriteNumber("matched", page.Matched);
                json.WriteNumber("offset", page.Offset);
                json.WriteStartArray("columns");
                foreach (var (name, schema) in source.Schema)
                {
                    WriteColumn(json, name, schema, read.Origin(name));
                }
                json.WriteEndArray();
                json.WriteStartArray("items");
                foreach (var row in page.Rows)
                {
                    json.WriteStartObject();
                    json.WriteNumber("row", row);
                    if (join is not null)
                    {
                        json.WriteNumber("input_row", join.InputRow(row));
                    }
                    if (compare is not null)
                    {
                        json.WritePropertyName("compare_row");
                        JsonValues.Write(json, compare.BRow(row));
                    }
                    json.WriteStartObject("values");
                    foreach (var name in source.Schema.Names)
                    {
                        json.WritePropertyName(name);
                        JsonValues.Write(json, source.GetValue(name, row));
                    }
                    json.WriteEndObject();
                    json.WriteEndObject();
                }
                json.WriteEndArray();
            });
        }));

        Get(app, "/v1/columns", http => ApiHandling.Handle(http, async () =>
        {
            var source = (await SourceAsync(http, sessions)).Rows;
            var columns = http.Request.Query["column"].Where(c => !string.IsNullOrEmpty(c)).Select(c => c!).ToArray();
            if (columns.Length == 0)
            {
                throw new ApiException(400, "column: name at least one column (repeat column=… for more).");
            }
            using var batch = ColumnBatches.Read(source, columns, Filters(http), http.RequestAborted);
            var buffer = new MemoryStream(); // no unmanaged state: its array is the response
            using (var writer = new Apache.Arrow.Ipc.ArrowStreamWriter(buffer, batch.Schema, leaveOpen: true))
            {
                await writer.WriteRecordBatchAsync(batch, http.RequestAborted);
                await writer.WriteEndAsync(http.RequestAborted);
            }
            return Results.Bytes(buffer.GetBuffer().AsMemory(0, (int)buffer.Length), ColumnsMediaType);
        }));

        Get(app, "/v1/histogram", http => ApiHandling.Handle(http, async () =>
        {
            var source = (await SourceAsync(http, sessions)).Rows;
            var histogram = RowQueries.Histogram(source, Required(http, "column"), (int)Number(http, "bins", 20, 1, 1000), Filters(http), http.RequestAborted);
            return Results.Json(new { min = histogram.Min, max = histogram.Max, counts = histogram.Counts, nulls = histogram.Nulls });
        }));

        app.MapPost("/v1/edits", (Func<HttpContext, Task<IResult>>)(http => ApiHandling.Handle(http, async () =>
        {
            // JSON only: a cross-site form cannot send it (and the token cookie is same-site).
            if (http.Request.ContentType?.StartsWith("application/json", StringComparison.OrdinalIgnoreCase) != true)
            {
                throw new ApiException(415, "An edit is a JSON body (Content-Type: application/json).");
            }
            var body = await JsonNode.ParseAsync(http.Request.Body, cancellationToken: http.RequestAborted) as JsonObject
                ?? throw new ApiException(400, "The body must be a JSON object.");
            var table = await sessions.TableAsync(body["table"] is JsonValue t && t.TryGetValue<string>(out var text) ? text : throw new ApiException(400, "table: a table URL is required."),
                "table", http.RequestAborted);
            var rows = body["match"] is JsonObject match ? await MatchingRowsAsync(match, table, sessions, http.RequestAborted)
                : (body["rows"] as JsonArray ?? throw new ApiException(400, "rows: an array of row numbers (or match: the rows a view's filters keep) is required.")).Select((r, i) =>
                r is JsonValue v && v.TryGetValue<long>(out var row) && row >= 0 && row < table.RowCount ? row
                    : throw new ApiException(400, $"rows[{i}]: {r?.ToJsonString() ?? "null"} is not a row of {table.Url} (0..{table.RowCount - 1}).")).ToList();
            if (rows.Count == 0)
            {
                throw new ApiException(400, body["match"] is null ? "rows: select at least one row." : "match: no row matches the filters; nothing to edit.");
            }
            var editor = table.Edit(context.Catalog);
            var summary = new List<string>();
            if (body["weight"] is { } weight)
            {
                var w = weight is JsonValue wv && wv.TryGetValue<double>(out var number) && number >= 0 && double.IsFinite(number) ? (float)number
                    : throw new ApiException(400, $"weight: a number ≥ 0 is required (0 excludes the rows), got {weight.ToJsonString()}.");
                editor.SetWeights(rows, w);
                summary.Add($"weight {w}");
            }
            foreach (var (column, value) in body["set"] as JsonObject ?? [])
            {
                editor.SetValues(column, rows, EditValue(column, value));
                summary.Add($"{column} = {value?.ToJsonString() ?? "null"}");
            }
            if (body["delete"] is { } delete && (delete is JsonValue dv && dv.TryGetValue<bool>(out var flag) ? flag
                    : throw new ApiException(400, $"delete: true or false, got {delete.ToJsonString()}.")))
            {
                editor.DeleteRows(rows);
                summary.Add("delete");
            }
            if (editor.IsEmpty)
            {
                throw new ApiException(400, "Nothing to edit: give weight, set or delete.");
            }
            editor.Describe(body["description"] is JsonValue dd && dd.TryGetValue<string>(out var d) && d.Length > 0 ? d
                : $"Dashboard edit of {rows.Count} row(s): {string.Join(", ", summary)}");
            Table revision;
            try
            {
                revision = await editor.CommitAsync(http.RequestAborted);
            }
            catch (StaleRevisionException e)
            {
                return Results.Json(new { error = e.Message, head = e.Head.Value }, statusCode: 409);
            }
            using (revision)
            {
                return Results.Json(new { url = revision.Url.Value, revision = revision.Object.Revision.Number, rows = revision.RowCount, parent = table.Url.Value });
            }
        })));

        Get(app, "/v1/confusion", http => ApiHandling.Handle(http, async () =>
        {
            var source = (await SourceAsync(http, sessions)).Rows;
            var actual = Required(http, "actual");
            var predicted = Required(http, "predicted");
            var cells = RowQueries.CrossCounts(source, actual, predicted, Filters(http), http.RequestAborted);
            var classes = Classes(source.Schema[actual]) ?? Classes(source.Schema[predicted]);
            return Results.Json(new
            {
                actual, predicted,
                classes = classes?.ToDictionary(kv => kv.Key.ToString(System.Globalization.CultureInfo.InvariantCulture), kv => kv.Value.InternalName),
                total = cells.Sum(c => c.Count),
                cells = cells.Select(c => new { actual = c.First, predicted = c.Second, count = c.Count }),
            });
        }));

        Get(app, "/v1/image", http => ApiHandling.Handle(http, async () =>
        {
            // Only images a table under the root references: the URL comes from the table, never from the request.
            var table = await TableAsync(http, sessions);
            var column = Required(http, "column");
            var row = Number(http, "row", 0, 0, Math.Max(0, table.RowCount - 1));
            var size = (int)Number(http, "size", 0, 0, 4096);
            var bytes = thumbnails.GetOrAdd($"{table.Url.Value}|{table.Object.Id}|{row}|{column}|{size}", () =>
            {
                // A column of other values is refused by Table.Image (an ArgumentException: 400 naming the column).
                var image = table.Image(column, row) ?? throw new ApiException(400, $"column: '{column}' of row {row} holds no image (no value).");
                return (size > 0 ? image.Thumbnail(size) : image).Encode(ImageEncoding.Png);
            });
            http.Response.Headers.CacheControl = "private, max-age=3600";
            return Results.Bytes(bytes, "image/png");
        }));

        Get(app, "/v1/values", http => ApiHandling.Handle(http, async () =>
        {
            var source = (await SourceAsync(http, sessions)).Rows;
            var column = Required(http, "column");
            var counts = RowQueries.ValueCounts(source, column, Filters(http), (int)Number(http, "max", 100, 1, 10_000), http.RequestAborted);
            var map = Classes(source.Schema[column]);
            return Results.Json(new
            {
                values = counts.Select(c => new
                {
                    value = c.Value,
                    label = map is not null && c.Value is not null && map.TryGetValue(Convert.ToInt64(c.Value, System.Globalization.CultureInfo.InvariantCulture), out var element)
                        ? element.InternalName : null,
                    count = c.Count,
                }),
            });
        }));

        Get(app, "/v1/sample/metrics", http => ApiHandling.Handle(http, async () =>
        {
            var table = await TableAsync(http, sessions);
            Required(http, "row");
            var row = Number(http, "row", 0, 0, Math.Max(0, table.RowCount - 1));
            IReadOnlyList<Cluster.RunMetricsTable> stream;
            try
            {
                stream = await MetricsStream.TablesAsync(context, table, http.RequestAborted);
            }
            catch (ArgumentException e)
            {
                throw new ApiException(400, $"table: {e.Message}");
            }
            var id = table.GetValue("example_id", row) as long? ?? throw new ApiException(400, $"row: row {row} of {table.Url} has no example_id.");
            var measured = new List<(Cluster.RunMetricsTable Info, Table Table, long? Row)>();
            foreach (var info in stream)
            {
                var other = await sessions.TableAsync(info.Url, "table", http.RequestAborted);
                measured.Add((info, other, ExampleRows.Find(other, id)));
            }
            var columns = new TableSchema();
            foreach (var (name, schema) in measured.SelectMany(m => m.Table.Schema))
            {
                if (schema is ScalarSchema && name != "example_id" && !columns.Contains(name))
                {
                    columns.Add(name, schema);
                }
            }
            return JsonAnswer(json =>
            {
                json.WriteString("table", table.Url.Value);
                json.WriteNumber("row", row);
                json.WriteNumber("example_id", id);
                json.WriteString("input_table", stream[0].ForeignTableUrl);
                json.WriteString("run", table.Object.Properties![TableObject.RunProperty]);
                json.WriteString("stream", stream[0].StreamName);
                json.WriteStartArray("columns");
                foreach (var (name, schema) in columns)
                {
                    WriteColumn(json, name, schema);
                }
                json.WriteEndArray();
                json.WriteStartArray("tables");
                foreach (var (info, other, found) in measured)
                {
                    json.WriteStartObject();
                    json.WriteString("url", info.Url);
                    json.WritePropertyName("epoch");
                    JsonValues.Write(json, MetricsStream.Epoch(info));
                    json.WritePropertyName("row");
                    JsonValues.Write(json, found);
                    json.WriteStartObject("values");
                    foreach (var name in columns.Names)
                    {
                        json.WritePropertyName(name);
                        JsonValues.Write(json, found is { } r && other.Schema.Contains(name) ? other.GetValue(name, r) : null);
                    }
                    json.WriteEndObject();
                    json.WriteEndObject();
                }
                json.WriteEndArray();
            });
        }));
    }

    /// <summary>A JSON object answer whose members <paramref name="write"/> writes (table values as <see cref="JsonValues"/> writes them).</summary>
    private static IResult JsonAnswer(Action<Utf8JsonWriter> write)
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            write(json);
            json.WriteEndObject();
        }
        return Results.Bytes(buffer.ToArray(), "application/json");
    }

    /// <summary>A column as the answers describe it: name, type (and a fixed-size list's size), where it comes from (when read beside another table), a label's classes and an annotation's attributes and classes.</summary>
    private static void WriteColumn(Utf8JsonWriter json, string name, ColumnSchema schema, (string From, string Column)? origin = null)
    {
        json.WriteStartObject();
        json.WriteString("name", name);
        json.WriteString("type", schema.Type);
        if (schema is ListSchema { FixedSize: int size })
        {
            json.WriteNumber("size", size);
        }
        if (origin is var (from, column))
        {
            json.WriteString("source", from);
            json.WriteString("column", column);
        }
        if (schema is AnnotationSchema annotation)
        {
            // What the page needs to draw the annotation over its image: the type's settings (box format, normalised
            // coordinates, skeleton, ...) and class names. Apart from "classes" so that label pickers keep to label columns.
            json.WriteStartObject("annotation");
            json.WriteStartObject("attributes");
            foreach (var (key, value) in annotation.Attributes)
            {
                json.WriteString(key, value);
            }
            json.WriteEndObject();
            if (annotation.Classes is { } classes)
            {
                WriteClasses(json, classes);
            }
            json.WriteEndObject();
        }
        if (Classes(schema) is { } map)
        {
            WriteClasses(json, map);
        }
        json.WriteEndObject();
    }

    /// <summary>A value map as <c>"classes": {"value": "name", ...}</c>.</summary>
    private static void WriteClasses(Utf8JsonWriter json, ValueMap map)
    {
        json.WriteStartObject("classes");
        foreach (var (value, element) in map)
        {
            json.WriteString(value.ToString(System.Globalization.CultureInfo.InvariantCulture), element.InternalName);
        }
        json.WriteEndObject();
    }

    /// <summary>
    /// The rows of <paramref name="edited"/> an edit's <c>match</c> names: the rows a view (<c>table</c>, <c>join</c>,
    /// <c>compare</c>, <c>filter</c> — what a brush or lasso selected) keeps, as rows of the viewed table itself or, for a
    /// metrics table joined to its input, of the input rows they describe.
    /// </summary>
    private static async Task<List<long>> MatchingRowsAsync(JsonObject match, Table edited, RankSessions sessions, CancellationToken cancellationToken)
    {
        string? Text(string name) => match[name] switch
        {
            null => null,
            JsonValue v when v.TryGetValue<string>(out var text) => text.Length == 0 ? null : text,
            var other => throw new ApiException(400, $"match.{name}: a string is required, got {other.ToJsonString()}."),
        };
        var filters = match["filter"] switch
        {
            null => [],
            JsonArray a => Filters(a.Select((f, i) => f is JsonValue v && v.TryGetValue<string>(out var text) ? text
                : throw new ApiException(400, $"match.filter[{i}]: a predicate string is required, got {f?.ToJsonString() ?? "null"}."))),
            var other => throw new ApiException(400, $"match.filter: an array of predicates is required, got {other.ToJsonString()}."),
        };
        var view = await SourceAsync(Text, sessions, cancellationToken);
        var matching = RowQueries.MatchingRows(view.Rows, filters, cancellationToken);
        if (view.Table.Url == edited.Url && view.Join is null)
        {
            return [.. matching];
        }
        if (view.Join is { } join && join.Input.Url == edited.Url)
        {
            return [.. matching.Select(join.InputRow).Distinct().Order()];
        }
        throw new ApiException(400, $"match: the rows of {view.Table.Url}{(view.Join is null ? "" : " joined to its input")} are not rows of {edited.Url}: edit the table the view shows, or its input table with join=input.");
    }

    /// <summary>A value of an edit as the table editor takes it (class names stay names: the editor resolves them).</summary>
    private static object? EditValue(string column, JsonNode? value) => value switch
    {
        null => null,
        JsonValue v when v.TryGetValue<string>(out var text) => text,
        JsonValue v when v.TryGetValue<long>(out var whole) => whole,
        JsonValue v when v.TryGetValue<double>(out var number) => number,
        JsonValue v when v.TryGetValue<bool>(out var flag) => flag,
        _ => throw new ApiException(400, $"set.{column}: a string, number, boolean or null is required, got {value.ToJsonString()}."),
    };

    /// <summary>Maps a GET endpoint whose handler answers an <see cref="IResult"/>.</summary>
    private static void Get(IEndpointRouteBuilder app, string pattern, Func<HttpContext, Task<IResult>> handler) => app.MapGet(pattern, handler);

    /// <summary>
    /// The rows a request reads: its table, or with <c>join=input</c> a metrics table beside its input rows, and with
    /// <c>compare=</c> those rows compared with another metrics table's.
    /// </summary>
    /// <param name="Table">The table the request names.</param>
    /// <param name="Join">The join to its input rows, when asked.</param>
    /// <param name="Compare">The comparison with another metrics table, when asked.</param>
    private sealed record Source(Table Table, MetricsJoin? Join, MetricsComparison? Compare)
    {
        /// <summary>What queries run over.</summary>
        public IRowSource Rows => Compare ?? (IRowSource?)Join ?? Table;

        /// <summary>The revisions read (a new revision of any of them is another source).</summary>
        public string Identity => $"{Table.Url}|{Table.Object.Id}|{Join?.Input.Url}|{Join?.Input.Object.Id}|{Compare?.B.Url}|{Compare?.B.Object.Id}";

        /// <summary>
        /// Where column <paramref name="name"/> of <see cref="Rows"/> comes from (<c>metrics</c>, <c>input</c>, <c>compare</c>
        /// or <c>delta</c>) and its name there; null for a table read alone.
        /// </summary>
        public (string From, string Column)? Origin(string name)
        {
            if (Compare is not null)
            {
                var (side, column) = Compare.Source(name);
                if (side != ComparedSide.A)
                {
                    return (side == ComparedSide.B ? "compare" : "delta", column);
                }
            }
            if (Join is not null)
            {
                var (input, column) = Join.Source(name);
                return (input ? "input" : "metrics", column);
            }
            return Compare is null ? null : ("metrics", name);
        }
    }

    /// <summary>
    /// The table a request names and, with <c>join=input</c> on a metrics table, the join to its input rows (the input must
    /// lie under the root as well).
    /// </summary>
    private static Task<Source> SourceAsync(HttpContext http, RankSessions sessions) =>
        SourceAsync(name => name == "table" ? Required(http, name) : Optional(http, name), sessions, http.RequestAborted);

    /// <summary>The rows a view reads, from its parameters (<c>table</c>, <c>join</c>, <c>compare</c>) by name.</summary>
    private static async Task<Source> SourceAsync(Func<string, string?> parameter, RankSessions sessions, CancellationToken cancellationToken)
    {
        var table = await sessions.TableAsync(parameter("table") ?? throw new ApiException(400, "table: a table URL is required."), "table", cancellationToken);
        var join = parameter("join") switch
        {
            null => null,
            "input" => MetricsJoin.Of(table, await sessions.TableAsync(table.Object.Properties?.GetValueOrDefault(TableObject.ForeignTableUrlProperty)
                ?? throw new ApiException(400, $"join: {table.Url} is not a metrics table (it names no input table)."), "join", cancellationToken)),
            var other => throw new ApiException(400, $"join: 'input' is the only join (got '{other}')."),
        };
        if (parameter("compare") is not { } compared)
        {
            return new Source(table, join, null);
        }
        var b = await sessions.TableAsync(compared, "compare", cancellationToken);
        try
        {
            return new Source(table, join, join is null ? MetricsComparison.Of(table, b) : MetricsComparison.Of(join, b));
        }
        catch (ArgumentException e)
        {
            throw new ApiException(400, $"compare: {e.Message}");
        }
    }

    /// <summary>The table a request names, if it lies under the root.</summary>
    private static Task<Table> TableAsync(HttpContext http, RankSessions sessions) => sessions.TableAsync(Required(http, "table"), "table", http.RequestAborted);

    private static ValueMap? Classes(ColumnSchema schema) => schema is ScalarSchema { ValueMap: { } map } ? map : null;

    private static List<ColumnPredicate> Filters(HttpContext http) => Filters(http.Request.Query["filter"]);

    private static List<ColumnPredicate> Filters(IEnumerable<string?> texts)
    {
        var filters = new List<ColumnPredicate>();
        foreach (var text in texts)
        {
            if (string.IsNullOrWhiteSpace(text))
            {
                continue;
            }
            try
            {
                filters.Add(ColumnPredicate.Parse(text));
            }
            catch (Exception e) when (e is ArgumentException or FormatException)
            {
                throw new ApiException(400, $"filter '{text}': {e.Message}");
            }
        }
        return filters;
    }

    private static string? Optional(HttpContext http, string name) =>
        http.Request.Query.TryGetValue(name, out var values) && !StringValues.IsNullOrEmpty(values) ? values.ToString() : null;

    private static string Required(HttpContext http, string name) =>
        Optional(http, name) ?? throw new ApiException(400, $"{name}: this query parameter is required.");

    private static bool Flag(HttpContext http, string name) => Optional(http, name) is { } text
        && (bool.TryParse(text, out var flag) ? flag : text == "1" ? true : text == "0" ? false : throw new ApiException(400, $"{name}: expected true or false (got '{text}')."));

    private static long Number(HttpContext http, string name, long fallback, long min, long max)
    {
        if (Optional(http, name) is not { } text)
        {
            return fallback;
        }
        if (!long.TryParse(text, System.Globalization.NumberStyles.Integer, System.Globalization.CultureInfo.InvariantCulture, out var value) || value < min || value > max)
        {
            throw new ApiException(400, $"{name}: expected an integer in [{min}, {max}] (got '{text}').");
        }
        return value;
    }
}
