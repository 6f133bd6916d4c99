using System.CommandLine;
using System.Globalization;
using System.Text.Json.Nodes;
using Spectre.Console;
using Tlc.Tables.Storage;
using Tlc.Tables.Urls;

namespace Tlc.Cli.Commands;

/// <summary><c>tlc tables</c>: every table under the root.</summary>
internal static class TablesCommand
{
    public static Command Create()
    {
        var project = new Option<string?>("--project") { Description = "Only this project." };
        var dataset = new Option<string?>("--dataset") { Description = "Only this dataset." };
        var command = new Command("tables", "List the tables under the root, with rows, lineage and revision.\nExample: tlc tables --project demo --json")
        {
            project, dataset, CliContext.Json,
        };
        command.SetAction(CliRunner.Wrap(async (parse, ct) =>
        {
            var settings = CliContext.Settings(parse);
            var tables = await RootCatalog.ListTablesAsync(CliContext.Adapters, settings.RootUrl, parse.GetValue(project), parse.GetValue(dataset), ct);
            if (parse.GetValue(CliContext.Json))
            {
                JsonOutput.Write(new JsonArray(tables.Select(t => (JsonNode)new JsonObject
                {
                    ["url"] = t.Url.Value,
                    ["project"] = t.Project,
                    ["dataset"] = t.Dataset,
                    ["table"] = t.Object.Name,
                    ["rows"] = t.Object.RowCount,
                    ["lineage"] = t.Object.Lineage.Kind,
                    ["revision"] = t.Object.Revision.Number,
                    ["created"] = t.Object.Created.ToString("O", CultureInfo.InvariantCulture),
                }).ToArray()));
                return CliRunner.Ok;
            }
            if (tables.Count == 0)
            {
                Console.WriteLine($"No tables under {settings.RootUrl}. Try: tlc demo");
                return CliRunner.Ok;
            }
            var grid = new Spectre.Console.Table().AddColumns("project", "dataset", "table", "rows", "lineage", "created");
            foreach (var t in tables)
            {
                grid.AddRow(Markup.Escape(t.Project), Markup.Escape(t.Dataset), Markup.Escape(t.Object.Name), t.Object.RowCount.ToString("N0", CultureInfo.InvariantCulture),
                    t.Object.Lineage.Kind, t.Object.Created.ToString("u", CultureInfo.InvariantCulture));
            }
            CliRunner.Console2.Write(grid);
            return CliRunner.Ok;
        }));
        return command;
    }
}
