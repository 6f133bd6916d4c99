using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Spectre.Console;
using Tlc.Tables;
using Tlc.Tables.Arrow;
using Tlc.Tables.Storage;

namespace Tlc.Cli.Commands;

/// <summary><c>tlc table info|rows|edit|latest|filter|squash</c>.</summary>
internal static class TableCommands
{
    public static Command Create()
    {
        var table = new Command("table", "Inspect, edit and derive one table (by URL or folder path).");
        table.Add(Info());
        table.Add(Rows());
        table.Add(Edit());
        table.Add(Latest());
        table.Add(Filter());
        table.Add(Squash());
        return table;
    }

    private static Argument<string> UrlArgument() => new("url") { Description = "The table's folder (path or URL)." };

    private static Command Info()
    {
        var url = UrlArgument();
        var command = new Command("info", "Show a table's rows, columns, lineage and files.\nExample: tlc table info ~/.local/share/tlc/projects/demo/datasets/fashion-mnist/tables/test --json")
        {
            url, CliContext.Json,
        };
        command.SetAction(CliRunner.Wrap(async (parse, ct) =>
        {
            CliContext.Settings(parse);
            using var t = await Table.OpenAsync(parse.GetValue(url)!, CliContext.Adapters, ct);
            var parent = t.Object.Lineage.Parents.Count > 0 ? ObjectFiles.Resolve(t.Url, t.Object.Lineage.Parents[0].Url, "parent", absoluteMayLeave: true).Value : null;
            if (parse.GetValue(CliContext.Json))
            {
                JsonOutput.Write(new JsonObject
                {
                    ["url"] = t.Url.Value,
                    ["rows"] = t.RowCount,
                    ["columns"] = new JsonArray(t.Schema.Select(kv => (JsonNode)new JsonObject
                    {
                        ["name"] = kv.Key,
                        ["type"] = kv.Value.Describe(),
                        ["arrow_type"] = ArrowSchemas.Describe(ArrowSchemas.ToArrowType(kv.Value)),
                    }).ToArray()),
                    ["parent"] = parent,
                    ["lineage"] = t.Object.Lineage.Kind,
                    ["revision"] = t.Object.Revision.Number,
                    ["created"] = t.Object.Created.ToString("O", CultureInfo.InvariantCulture),
                });
                return CliRunner.Ok;
            }
            var console = CliRunner.Console2;
            console.MarkupLine($"[bold]{Markup.Escape(t.Url.Value)}[/]");
            console.MarkupLine($"rows: {t.RowCount:N0}   lineage: {t.Object.Lineage.Kind}   revision: {t.Object.Revision.Number}   created: {t.Object.Created:u}");
            if (parent is not null)
            {
                console.MarkupLine($"parent: {Markup.Escape(parent)}");
            }
            if (t.Object.Description is { } description)
            {
                console.MarkupLine($"description: {Markup.Escape(description)}");
            }
            var grid = new Spectre.Console.Table().AddColumns("column", "schema", "arrow type");
            foreach (var (name, schema) in t.Schema)
            {
                grid.AddRow(Markup.Escape(name), Markup.Escape(schema.Describe()), Markup.Escape(ArrowSchemas.Describe(ArrowSchemas.ToArrowType(schema))));
            }
            console.Write(grid);
            console.MarkupLine($"chunks: {t.Object.Chunks.Count} ({t.Object.Chunks.Sum(c => c.Bytes):N0} bytes)");
            return CliRunner.Ok;
        }));
        return command;
    }

    private static Command Rows()
    {
        var url = UrlArgument();
        var from = new Option<long>("--from") { Description = "The first row (0-based).", DefaultValueFactory = _ => 0 };
        var count = new Option<long>("--count") { Description = "How many rows.", DefaultValueFactory = _ => 10 };
        var command = new Command("rows", "Print raw rows of a table.\nExample: tlc table rows <url> --from 100 --count 5 --json")
        {
            url, from, count, CliContext.Json,
        };
        command.SetAction(CliRunner.Wrap(async (parse, ct) =>
        {
            CliContext.Settings(parse);
            using var t = await Table.OpenAsync(parse.GetValue(url)!, CliContext.Adapters, ct);
            var start = parse.GetValue(from);
            var n = parse.GetValue(count);
            if (start < 0 || n < 0)
            {
                throw new UsageException("--from and --count must not be negative.");
            }
            if (start > t.RowCount)
            {
                throw new UsageException($"--from {start} is past the table's {t.RowCount} rows.");
            }
            var end = Math.Min(t.RowCount, start + n);
            if (parse.GetValue(CliContext.Json))
            {
                var rows = new JsonArray();
                for (var r = start; r < end; r++)
                {
                    rows.Add(JsonOutput.Value(t.Rows[r]));
                }
                JsonOutput.Write(rows);
                return CliRunner.Ok;
            }
            var grid = new Spectre.Console.Table().AddColumn("#");
            foreach (var name in t.Schema.Names)
            {
                grid.AddColumn(Markup.Escape(name));
            }
            for (var r = start; r < end; r++)
            {
                var row = t.Rows[r];
                grid.AddRow([r.ToString(CultureInfo.InvariantCulture), .. row.Values.Select(v => Markup.Escape(Shorten(JsonOutput.Text(v))))]);
            }
            CliRunner.Console2.Write(grid);
            return CliRunner.Ok;
        }));
        return command;
    }

    private static string Shorten(string s) => s.Length > 60 ? s[..57] + "..." : s;

    private static Command Edit()
    {
        var url = UrlArgument();
        var set = new Option<string[]>("--set")
        {
            Description = "Set values: COLUMN:ROWS=VALUE (ROWS like 3 or 1,4,9-12; VALUE as JSON or a plain string, class names allowed). Repeatable.",
            AllowMultipleArgumentsPerToken = false,
        };
        var delete = new Option<string?>("--delete") { Description = "Delete rows: ROWS." };
        var weight = new Option<string[]>("--weight") { Description = "Set sample weights: ROWS=WEIGHT (0 excludes). Repeatable." };
        var dropColumn = new Option<string[]>("--drop-column") { Description = "Delete a column. Repeatable." };
        var description = new Option<string?>("--description") { Description = "The new revision's description." };
        var command = new Command("edit",
            "Publish a new revision of a table with sparse edits (the table itself never changes; a stale base is refused).\n" +
            "Example: tlc table edit <url> --set label:3,7=Coat --weight 0-9=0 --delete 12")
        {
            url, set, delete, weight, dropColumn, description, CliContext.Json,
        };
        command.SetAction(CliRunner.Wrap(async (parse, ct) =>
        {
            CliContext.Settings(parse);
            using var t = await Table.OpenAsync(parse.GetValue(url)!, CliContext.Adapters, ct);
            var editor = t.Edit();
            foreach (var spec in parse.GetValue(set) ?? [])
            {
                var colon = spec.IndexOf(':', StringComparison.Ordinal);
                var equals = spec.IndexOf('=', StringComparison.Ordinal);
                if (colon <= 0 || equals < colon)
                {
                    throw new UsageException($"--set '{spec}': use COLUMN:ROWS=VALUE, e.g. label:3,5-9=cat.");
                }
                var column = spec[..colon];
                var value = ParseValue(spec[(equals + 1)..]);
                editor.SetValues(column, RowSpec.Parse(spec[(colon + 1)..equals]), value);
            }
            foreach (var spec in parse.GetValue(weight) ?? [])
            {
                var equals = spec.IndexOf('=', StringComparison.Ordinal);
                if (equals <= 0 || !float.TryParse(spec[(equals + 1)..], NumberStyles.Float, CultureInfo.InvariantCulture, out var w))
                {
                    throw new UsageException($"--weight '{spec}': use ROWS=WEIGHT, e.g. 0-9=0.");
                }
                editor.SetWeights(RowSpec.Parse(spec[..equals]), w);
            }
            if (parse.GetValue(delete) is { } rows)
            {
                editor.DeleteRows(RowSpec.Parse(rows));
            }
            foreach (var column in parse.GetValue(dropColumn) ?? [])
            {
                editor.DeleteColumn(column);
            }
            if (parse.GetValue(description) is { } d)
            {
                editor.Describe(d);
            }
            if (editor.IsEmpty)
            {
                throw new UsageException("Nothing to edit: give --set, --weight, --delete, --drop-column or --description.");
            }
            using var revision = await editor.CommitAsync(ct);
            if (parse.GetValue(CliContext.Json))
            {
                JsonOutput.Write(new JsonObject { ["url"] = revision.Url.Value, ["rows"] = revision.RowCount, ["parent"] = t.Url.Value });
            }
            else
            {
                Console.WriteLine($"revision {revision.Object.Revision.Number}: {revision.Url} ({revision.RowCount:N0} rows)");
            }
            return CliRunner.Ok;
        }));
        return command;
    }

    private static object? ParseValue(string text)
    {
        if (text.Length == 0)
        {
            return "";
        }
        try
        {
            using var document = JsonDocument.Parse(text);
            return document.RootElement.ValueKind switch
            {
                JsonValueKind.Number when document.RootElement.TryGetInt64(out var l) => l,
                JsonValueKind.Number => document.RootElement.GetDouble(),
                JsonValueKind.True => true,
                JsonValueKind.False => false,
                JsonValueKind.Null => null,
                JsonValueKind.String => document.RootElement.GetString(),
                _ => document.RootElement.Clone(),
            };
        }
        catch (JsonException)
        {
            return text;
        }
    }

    private static Command Latest()
    {
        var url = UrlArgument();
        var command = new Command("latest", "Print the newest revision of a table's lineage.\nExample: tlc table latest <url>") { url, CliContext.Json };
        command.SetAction(CliRunner.Wrap(async (parse, ct) =>
        {
            CliContext.Settings(parse);
            using var head = await Table.LatestAsync(parse.GetValue(url)!, CliContext.Adapters, ct);
            if (parse.GetValue(CliContext.Json))
            {
                JsonOutput.Write(new JsonObject { ["url"] = head.Url.Value, ["rows"] = head.RowCount, ["revision"] = head.Object.Revision.Number });
            }
            else
            {
                Console.WriteLine(head.Url.Value);
            }
            return CliRunner.Ok;
        }));
        return command;
    }

    private static Command Filter()
    {
        var url = UrlArgument();
        var where = new Option<string[]>("--where") { Description = "A predicate: label==Coat, weight>0, 'label in Coat,Bag', 'note is-null', 'emb_pca inside 0 0, 2 0, 1 2' (a 2-D point inside a polygon). Repeatable (all must hold).", Required = true };
        var name = new Option<string>("--name") { Description = "The new table's name (beside the source).", Required = true };
        var command = new Command("filter", "Derive a table of the rows matching predicates (only the kept row runs are stored).\nExample: tlc table filter <url> --where label==Coat --name coats")
        {
            url, where, name, CliContext.Json,
        };
        command.SetAction(CliRunner.Wrap(async (parse, ct) =>
        {
            CliContext.Settings(parse);
            using var t = await Table.OpenAsync(parse.GetValue(url)!, CliContext.Adapters, ct);
            var predicates = parse.GetValue(where)!.Select(ColumnPredicate.Parse).ToList();
            using var filtered = await t.FilterAsync(predicates, new DerivedTableOptions { Name = parse.GetValue(name)! }, ct);
            PrintMade(parse, filtered);
            return CliRunner.Ok;
        }));
        return command;
    }

    private static Command Squash()
    {
        var url = UrlArgument();
        var name = new Option<string>("--name") { Description = "The new table's name (beside the source).", Required = true };
        var command = new Command("squash", "Materialise a revision into a table of its own chunks, without lineage.\nExample: tlc table squash <url> --name train-clean")
        {
            url, name, CliContext.Json,
        };
        command.SetAction(CliRunner.Wrap(async (parse, ct) =>
        {
            CliContext.Settings(parse);
            using var t = await Table.OpenAsync(parse.GetValue(url)!, CliContext.Adapters, ct);
            using var squashed = await t.SquashAsync(new DerivedTableOptions { Name = parse.GetValue(name)! }, ct);
            PrintMade(parse, squashed);
            return CliRunner.Ok;
        }));
        return command;
    }

    internal static void PrintMade(ParseResult parse, Table table)
    {
        if (parse.GetValue(CliContext.Json))
        {
            JsonOutput.Write(new JsonObject { ["url"] = table.Url.Value, ["rows"] = table.RowCount });
        }
        else
        {
            Console.WriteLine($"{table.Url} ({table.RowCount:N0} rows)");
        }
    }
}
