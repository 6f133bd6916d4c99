using System.Text;
using Microsoft.Extensions.Configuration;
using Tlc.Tables.Storage;

namespace Tlc.Tables.Urls;

/// <summary>
/// A project's own URL aliases (3LC's project aliases), kept in the project folder so they travel with the root:
/// <c>&lt;root&gt;/projects/&lt;project&gt;/config.yaml</c>, an <c>aliases:</c> map like the settings file's. Tables of the
/// project read and write URLs with them (see <see cref="UrlAliases.WithProject"/> for the order), so a project's data
/// folder moves between machines by editing one line in the project.
/// </summary>
public static class ProjectAliases
{
    /// <summary>The file name, in the project folder.</summary>
    public const string FileName = "config.yaml";

    /// <summary>The project folder of the table at <paramref name="tableUrl"/>, or null when it is outside the root's layout.</summary>
    public static Url? ProjectFolderOf(Url tableUrl) =>
        TableLayout.Parse(tableUrl) is { } layout ? (Url?)layout.Root.Join($"projects/{layout.Project}") : null;

    /// <summary>The aliases of the project folder <paramref name="projectFolder"/> (none when it has no file).</summary>
    /// <exception cref="FormatException">The file is not YAML, or names an invalid alias (the message names the file).</exception>
    public static async Task<IReadOnlyDictionary<string, string>> ReadAsync(UrlAdapterRegistry adapters, Url projectFolder, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(adapters);
        var file = projectFolder.Join(FileName);
        byte[] bytes;
        try
        {
            bytes = await adapters.ReadAllBytesAsync(file, cancellationToken).ConfigureAwait(false);
        }
        catch (UrlNotFoundException)
        {
            return new Dictionary<string, string>();
        }
        return Parse(bytes, file);
    }

    /// <summary>
    /// Defines (or replaces) alias <paramref name="name"/> of the project at <paramref name="projectFolder"/> (3LC's
    /// <c>register_project_url_alias</c>); the file is written whole, keeping the project's other aliases.
    /// </summary>
    /// <exception cref="ArgumentException">An invalid name, or an empty value.</exception>
    public static async Task RegisterAsync(UrlAdapterRegistry adapters, Url projectFolder, string name, string value, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(adapters);
        if (!UrlAliases.IsValidName(name))
        {
            throw new ArgumentException($"Invalid alias name '{name}': use [A-Z][A-Z0-9_]*.", nameof(name));
        }
        ArgumentException.ThrowIfNullOrEmpty(value);
        var aliases = new SortedDictionary<string, string>(
            (await ReadAsync(adapters, projectFolder, cancellationToken).ConfigureAwait(false)).ToDictionary(), StringComparer.Ordinal)
        {
            [name] = value,
        };
        var text = new StringBuilder("# URL aliases of this project (tlc): <NAME> in its tables' URLs stands for the value.\naliases:\n");
        foreach (var (key, v) in aliases)
        {
            text.Append("  ").Append(key).Append(": \"").Append(v.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal)).Append("\"\n");
        }
        await adapters.WriteAllBytesAsync(projectFolder.Join(FileName), Encoding.UTF8.GetBytes(text.ToString()), WriteMode.Overwrite, cancellationToken).ConfigureAwait(false);
        adapters.ForgetProjectAliases(projectFolder);
    }

    private static Dictionary<string, string> Parse(byte[] bytes, Url file)
    {
        IConfigurationRoot configuration;
        try
        {
            using var stream = new MemoryStream(bytes);
            configuration = new ConfigurationBuilder().AddYamlStream(stream).Build();
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            throw new FormatException($"{file}: not a YAML file of aliases ({e.Message}).", e);
        }
        var aliases = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var entry in configuration.GetSection("aliases").GetChildren())
        {
            if (!UrlAliases.IsValidName(entry.Key))
            {
                throw new FormatException($"{file}: aliases.{entry.Key}: invalid alias name; use [A-Z][A-Z0-9_]*.");
            }
            if (string.IsNullOrEmpty(entry.Value))
            {
                throw new FormatException($"{file}: aliases.{entry.Key}: no value.");
            }
            aliases[entry.Key] = entry.Value;
        }
        return aliases;
    }
}
