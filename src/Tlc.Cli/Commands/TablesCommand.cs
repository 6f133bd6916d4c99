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
            var tables = await ListAsync(CliContext.Adapters, settings.RootUrl, parse.GetValue(project), parse.GetValue(dataset), ct);
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

    internal sealed record Listed(Url Url, string Project, string Dataset, TableObject Object);

    internal static async Task<List<Listed>> ListAsync(UrlAdapterRegistry adapters, Url root, string? project, string? dataset, CancellationToken ct)
    {
        var result = new List<Listed>();
        await foreach (var p in adapters.ListAsync(root.Join("projects"), recursive: false, ct))
        {
            if (!p.IsFolder || (project is not null && p.Url.Name != project))
            {
                continue;
            }
            await foreach (var d in adapters.ListAsync(p.Url.Join("datasets"), recursive: false, ct))
            {
                if (!d.IsFolder || (dataset is not null && d.Url.Name != dataset))
                {
                    continue;
                }
                await foreach (var t in adapters.ListAsync(d.Url.Join("tables"), recursive: false, ct))
                {
                    if (!t.IsFolder || !await adapters.ExistsAsync(TableLayout.ObjectFile(t.Url), ct))
                    {
                        continue;
                    }
                    result.Add(new Listed(t.Url, p.Url.Name, d.Url.Name, await ObjectFiles.ReadAsync(adapters, t.Url, ct)));
                }
            }
        }
        return result.OrderBy(t => t.Project, StringComparer.Ordinal).ThenBy(t => t.Dataset, StringComparer.Ordinal)
            .ThenBy(t => t.Object.Name, StringComparer.Ordinal).ToList();
    }
}
