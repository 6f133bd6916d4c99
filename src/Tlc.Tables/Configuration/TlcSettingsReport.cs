using System.Collections;
using System.Globalization;
using System.Reflection;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Configuration.EnvironmentVariables;
using Microsoft.Extensions.Configuration.Memory;

namespace Tlc.Tables.Configuration;

/// <summary>One setting as it takes effect.</summary>
/// <param name="Key">The settings key (e.g. <c>cluster.mode</c>; <c>aliases.NAME</c> for each alias).</param>
/// <param name="Value">The value as text (a secret's as <see cref="TlcSecrets.Mask"/>); null when it is not set.</param>
/// <param name="Source">
/// Where the value came from: <c>default</c>, <c>file PATH</c> (the config file), <c>environment TLC_…</c>,
/// <c>command line</c> (e.g. <c>--root</c>), or <c>file named by KEY_file</c> (a secret read from a file).
/// </param>
public sealed record EffectiveSetting(string Key, string? Value, string Source);

/// <summary>
/// The effective settings and where each comes from, in the order of <see cref="TlcOptions"/> (what <c>tlc config</c>
/// prints, as 3LC's <c>3lc config</c> does). The config file, then <c>TLC_*</c> variables, then overrides win, as in
/// <see cref="TlcConfiguration.Load"/>; a secret's value is never shown.
/// </summary>
public static class TlcSettingsReport
{
    /// <summary>Loads the settings as <see cref="TlcConfiguration.Load"/> does and describes each.</summary>
    /// <exception cref="FileNotFoundException">The config file named does not exist.</exception>
    /// <exception cref="FormatException">A value does not parse (as <see cref="TlcConfiguration.Load"/>).</exception>
    public static IReadOnlyList<EffectiveSetting> Describe(IEnumerable<KeyValuePair<string, string?>>? overrides = null, string? configFile = null)
    {
        var configuration = TlcConfiguration.Build(overrides, configFile);
        var options = TlcConfiguration.Bind(configuration);
        var report = new Report(configuration, TlcConfiguration.ConfigFile(configFile), TlcSecrets.Keys(options).ToHashSet(StringComparer.Ordinal));
        report.Walk(options, "");
        if (options.Root is null)
        {
            // The root's default is computed: show the folder it resolves to.
            var at = report.Settings.FindIndex(s => s.Key == "root");
            report.Settings[at] = report.Settings[at] with { Value = options.RootUrl.Value };
        }
        return report.Settings;
    }

    private sealed class Report(IConfigurationRoot configuration, string? file, HashSet<string> secrets)
    {
        public List<EffectiveSetting> Settings { get; } = [];

        public void Walk(object owner, string prefix)
        {
            foreach (var property in owner.GetType().GetProperties(BindingFlags.Public | BindingFlags.Instance))
            {
                if (property.GetCustomAttribute<ConfigurationKeyNameAttribute>() is not { } name)
                {
                    continue;
                }
                var key = prefix + name.Name;
                var type = property.PropertyType;
                var value = property.GetValue(owner);
                if (type.IsClass && type != typeof(string) && type.Namespace == typeof(TlcOptions).Namespace && value is not null)
                {
                    Walk(value, key + ".");
                }
                else if (value is IDictionary entries)
                {
                    foreach (DictionaryEntry entry in entries)
                    {
                        var entryKey = $"{key}.{entry.Key}";
                        Settings.Add(new EffectiveSetting(entryKey, Text(entry.Value), Source(entryKey)));
                    }
                }
                else
                {
                    var text = Text(value);
                    Settings.Add(new EffectiveSetting(key, secrets.Contains(key) && text is not null ? TlcSecrets.Mask : text, Source(key)));
                }
            }
        }

        private string Source(string key)
        {
            var path = key.Replace('.', ':');
            foreach (var provider in configuration.Providers.Reverse())
            {
                if (provider.TryGet(path, out _) || provider.TryGet(path + ":0", out _))
                {
                    return provider switch
                    {
                        EnvironmentVariablesConfigurationProvider => "environment TLC_" + key.Replace(".", "__", StringComparison.Ordinal).ToUpperInvariant(),
                        MemoryConfigurationProvider => "command line",
                        FileConfigurationProvider => $"file {file}",
                        _ => provider.ToString() ?? "unknown",
                    };
                }
            }
            if (secrets.Contains(key) && Source(key + TlcSecrets.FileSuffix) != "default")
            {
                return $"file named by {key}{TlcSecrets.FileSuffix}";
            }
            if (key == "security.api_token" && !string.IsNullOrEmpty(Environment.GetEnvironmentVariable(TlcConfiguration.ApiTokenVariable)))
            {
                return "environment " + TlcConfiguration.ApiTokenVariable;
            }
            return "default";
        }

        private static string? Text(object? value) => value switch
        {
            null => null,
            string s => s.Length == 0 ? null : s,
            bool b => b ? "true" : "false",
            IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
            IEnumerable e => string.Join(",", e.Cast<object?>().Select(Text)) is { Length: > 0 } joined ? joined : null,
            _ => value.ToString(),
        };
    }
}
