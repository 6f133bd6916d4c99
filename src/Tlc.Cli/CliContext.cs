using System.CommandLine;
using Tlc.Tables.Configuration;
using Tlc.Tables.Urls;

namespace Tlc.Cli;

/// <summary>The options every command shares, and the settings they resolve to.</summary>
internal static class CliContext
{
    public static readonly Option<string?> Root = new("--root")
    {
        Description = "The root folder or URL of projects (default: TLC_ROOT, the config file's 'root', else ~/.local/share/tlc).",
        Recursive = true,
    };

    public static readonly Option<string?> Config = new("--config")
    {
        Description = "The config file (YAML or JSON; default: TLC_CONFIG_FILE, else ~/.config/tlc/config.yaml when present).",
        Recursive = true,
    };

    public static readonly Option<bool> Json = new("--json")
    {
        Description = "Print stable machine-readable JSON instead of text.",
    };

    public static readonly Option<bool> Verbose = new("--verbose")
    {
        Description = "Print stack traces with errors.",
        Recursive = true,
    };

    /// <summary>Loads the settings (config file, TLC_* variables, --root) and applies them to the default URL adapters.</summary>
    /// <remarks>
    /// From here on the process's standard output and error mask the settings' secrets (<see cref="TlcSecrets"/>), so no
    /// message, log line or JSON a command writes shows them.
    /// </remarks>
    public static TlcOptions Settings(ParseResult parse, IEnumerable<KeyValuePair<string, string?>>? extra = null)
    {
        var overrides = new List<KeyValuePair<string, string?>>();
        if (parse.GetValue(Root) is { } root)
        {
            overrides.Add(new("root", root));
        }
        overrides.AddRange(extra ?? []);
        var settings = TlcConfiguration.Load(overrides, parse.GetValue(Config));
        TlcSecrets.RedactConsole(settings);
        TlcSettings.Use(settings);
        return settings;
    }

    public static UrlAdapterRegistry Adapters => UrlAdapterRegistry.Default;
}
