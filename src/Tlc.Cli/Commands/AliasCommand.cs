using System.CommandLine;
using System.Text.Json.Nodes;
using Tlc.Tables.Urls;

namespace Tlc.Cli.Commands;

/// <summary>
/// <c>tlc alias</c>: URL aliases — <c>list</c> every alias in effect (and where it is defined), <c>set NAME VALUE --project P</c>
/// defines a project's alias in its folder (3LC's project aliases), so that the project moves between machines by
/// changing one line.
/// </summary>
internal static class AliasCommand
{
    public static Command Create()
    {
        var project = new Option<string?>("--project") { Description = "The project whose aliases to list or set (kept in <root>/projects/<project>/config.yaml)." };
        var list = new Command("list", "List the URL aliases in effect: from code, TLC_ALIAS_<NAME>, the project's file (with --project) and the config file.\nExample: tlc alias list --project mnist --json")
        {
            project, CliContext.Json,
        };
        list.SetAction(CliRunner.Wrap(async (parse, ct) =>
        {
            var settings = CliContext.Settings(parse);
            var own = parse.GetValue(project) is { } p
                ? await ProjectAliases.ReadAsync(CliContext.Adapters, ProjectFolder(settings.RootUrl, p), ct)
                : new Dictionary<string, string>();
            var all = CliContext.Adapters.Aliases.WithProject(own).All();
            if (parse.GetValue(CliContext.Json))
            {
                JsonOutput.Write(new JsonObject
                {
                    ["aliases"] = new JsonArray([.. all.Select(a => (JsonNode)new JsonObject
                    {
                        ["name"] = a.Key, ["value"] = a.Value, ["project"] = own.ContainsKey(a.Key) && CliContext.Adapters.Aliases.WithProject(own).Find(a.Key) == own[a.Key],
                    })]),
                });
                return CliRunner.Ok;
            }
            if (all.Count == 0)
            {
                Console.WriteLine("No URL aliases are defined.");
            }
            foreach (var (name, value) in all)
            {
                Console.WriteLine($"<{name}>  {value}{(own.TryGetValue(name, out var v) && v == value ? "  (project)" : "")}");
            }
            return CliRunner.Ok;
        }));
        var name = new Argument<string>("name") { Description = "The alias name, [A-Z][A-Z0-9_]* (written <NAME> in URLs)." };
        var value = new Argument<string>("value") { Description = "What <NAME> stands for: a folder path or URL." };
        var set = new Command("set", "Define (or replace) a project's URL alias, kept in the project folder: tables of the project write URLs under VALUE as <NAME>/… and read them through it.\nExample: tlc alias set DATA /mnt/datasets --project mnist")
        {
            name, value, project, CliContext.Json,
        };
        set.SetAction(CliRunner.Wrap(async (parse, ct) =>
        {
            var settings = CliContext.Settings(parse);
            var p = parse.GetValue(project) ?? throw new UsageException("alias set needs --project P: a project's aliases live in its folder.");
            var n = parse.GetValue(name)!;
            if (!UrlAliases.IsValidName(n))
            {
                throw new UsageException($"'{n}' is no alias name: use [A-Z][A-Z0-9_]* (written <{n.ToUpperInvariant()}> in URLs).");
            }
            var v = parse.GetValue(value)!;
            if (string.IsNullOrWhiteSpace(v))
            {
                throw new UsageException("The alias value is empty.");
            }
            // A local folder is stored as its absolute URL, so the file means the same from any working directory.
            var stored = Url.IsAbsolute(v) && !v.StartsWith('/') ? v : Url.FromLocalPath(v).Value;
            var folder = ProjectFolder(settings.RootUrl, p);
            await ProjectAliases.RegisterAsync(CliContext.Adapters, folder, n, stored, ct);
            if (parse.GetValue(CliContext.Json))
            {
                JsonOutput.Write(new JsonObject { ["name"] = n, ["value"] = stored, ["project"] = p, ["file"] = folder.Join(ProjectAliases.FileName).Value });
                return CliRunner.Ok;
            }
            Console.WriteLine($"<{n}> = {stored} in {folder.Join(ProjectAliases.FileName)}");
            return CliRunner.Ok;
        }));
        return new Command("alias", "URL aliases: list those in effect, or set a project's.") { list, set };
    }

    private static Url ProjectFolder(Url root, string project)
    {
        if (string.IsNullOrWhiteSpace(project) || project.Contains('/', StringComparison.Ordinal) || project is "." or "..")
        {
            throw new UsageException($"'{project}' is no project name.");
        }
        return root.Join($"projects/{project}");
    }
}
