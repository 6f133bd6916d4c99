using System.CommandLine;
using System.Text.Json.Nodes;
using Tlc.Tables.Configuration;

namespace Tlc.Cli.Commands;

/// <summary><c>tlc config</c>: the effective settings and where each comes from.</summary>
internal static class ConfigCommand
{
    public static Command Create()
    {
        var command = new Command("config",
            "Print the effective settings and where each comes from: the config file, a TLC_* environment variable, the command line (--root) or the default. Secrets are masked.\nExample: tlc config --json")
        {
            CliContext.Json,
        };
        command.SetAction(CliRunner.Wrap((parse, _) =>
        {
            // As every command: the settings must load, and secrets are masked in all this process writes.
            CliContext.Settings(parse);
            var overrides = parse.GetValue(CliContext.Root) is { } root ? new[] { new KeyValuePair<string, string?>("root", root) } : [];
            var configFile = parse.GetValue(CliContext.Config);
            var settings = TlcSettingsReport.Describe(overrides, configFile);
            var file = TlcConfiguration.ConfigFile(configFile);
            if (parse.GetValue(CliContext.Json))
            {
                JsonOutput.Write(new JsonObject
                {
                    ["config_file"] = file,
                    ["settings"] = new JsonArray([.. settings.Select(s => (JsonNode)new JsonObject { ["key"] = s.Key, ["value"] = s.Value, ["source"] = s.Source })]),
                });
                return Task.FromResult(CliRunner.Ok);
            }
            Console.WriteLine(file is null ? $"No config file ({TlcConfiguration.DefaultConfigFile()} does not exist)." : $"Config file: {file}");
            // One line per setting (greppable, never wrapped): key, value, and where it came from.
            var width = settings.Max(s => s.Key.Length);
            foreach (var s in settings)
            {
                Console.WriteLine($"{s.Key.PadRight(width)}  {s.Value ?? "(not set)"}  ({s.Source})");
            }
            return Task.FromResult(CliRunner.Ok);
        }));
        return command;
    }
}
