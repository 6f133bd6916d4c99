using System.Collections;
using System.Reflection;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Configuration;
using Tlc.Tables.Configuration;
using Tlc.Testing;
using YamlDotNet.RepresentationModel;

namespace Tlc.Deploy.Tests;

/// <summary>Reads the files under <c>deploy/</c> and the names the code defines, for the tests to compare.</summary>
internal static partial class DeployFiles
{
    public static string Folder { get; } = Path.Combine(Fixtures.RepositoryRoot, "deploy");

    public static string PathOf(string relative) => Path.Combine(Folder, relative);

    /// <summary>Every YAML file under deploy/ but the published output.</summary>
    public static IEnumerable<string> YamlFiles() =>
        Directory.EnumerateFiles(Folder, "*.yaml", SearchOption.AllDirectories)
            .Where(f => !Path.GetRelativePath(Folder, f).StartsWith("out" + Path.DirectorySeparatorChar, StringComparison.Ordinal))
            .Order(StringComparer.Ordinal);

    /// <summary>The documents of a YAML file (aliases resolved).</summary>
    public static IReadOnlyList<YamlNode> Documents(string path)
    {
        var stream = new YamlStream();
        using var reader = new StreamReader(path);
        stream.Load(reader);
        return [.. stream.Documents.Select(d => d.RootNode)];
    }

    /// <summary>The Kubernetes objects of the base and its overlays: (file, object).</summary>
    public static IEnumerable<(string File, YamlMappingNode Object)> KubernetesObjects(string folder = "k8s/base") =>
        Directory.EnumerateFiles(PathOf(folder), "*.yaml")
            .Where(f => Path.GetFileName(f) != "kustomization.yaml")
            .SelectMany(f => Documents(f).OfType<YamlMappingNode>().Select(o => (Path.GetRelativePath(Folder, f), o)));

    public static YamlMappingNode Kind(string kind, string name) =>
        KubernetesObjects().Single(o => Scalar(o.Object, "kind") == kind && Scalar(o.Object, "metadata", "name") == name).Object;

    /// <summary>A mapping's entries, with YAML merge keys (<c>&lt;&lt;: *anchor</c>) applied.</summary>
    public static Dictionary<string, YamlNode> Entries(YamlNode node)
    {
        var entries = new Dictionary<string, YamlNode>(StringComparer.Ordinal);
        if (node is not YamlMappingNode map)
        {
            return entries;
        }
        foreach (var (key, value) in map.Children)
        {
            var name = ((YamlScalarNode)key).Value!;
            if (name == "<<")
            {
                foreach (var (k, v) in Entries(value))
                {
                    entries.TryAdd(k, v);
                }
            }
        }
        foreach (var (key, value) in map.Children)
        {
            var name = ((YamlScalarNode)key).Value!;
            if (name != "<<")
            {
                entries[name] = value;
            }
        }
        return entries;
    }

    public static YamlNode? Node(YamlNode node, params string[] path)
    {
        var at = node;
        foreach (var key in path)
        {
            if (!Entries(at).TryGetValue(key, out var next))
            {
                return null;
            }
            at = next;
        }
        return at;
    }

    public static string? Scalar(YamlNode node, params string[] path) => (Node(node, path) as YamlScalarNode)?.Value;

    public static IEnumerable<YamlNode> Sequence(YamlNode node, params string[] path) => Node(node, path) is YamlSequenceNode s ? s.Children : [];

    public static IEnumerable<string> Strings(YamlNode node, params string[] path) => Sequence(node, path).OfType<YamlScalarNode>().Select(s => s.Value!);

    /// <summary>The containers of a Deployment or StatefulSet.</summary>
    public static IEnumerable<YamlNode> Containers(YamlNode workload) => Sequence(workload, "spec", "template", "spec", "containers");

    /// <summary>A container's literal environment (name → value; null for <c>valueFrom</c>).</summary>
    public static Dictionary<string, string?> Environment(YamlNode container) =>
        Sequence(container, "env").ToDictionary(e => Scalar(e, "name")!, e => Scalar(e, "value"), StringComparer.Ordinal);

    /// <summary>A compose service's environment (merge keys applied).</summary>
    public static Dictionary<string, string?> ComposeEnvironment(YamlNode service) =>
        Entries(Node(service, "environment")!).ToDictionary(e => e.Key, e => (e.Value as YamlScalarNode)?.Value, StringComparer.Ordinal);

    public static YamlNode Compose => Documents(PathOf("compose.yaml"))[0];

    /// <summary>A Dockerfile's instructions: (instruction, arguments), continuation lines joined, comments left out.</summary>
    public static List<(string Instruction, string Arguments)> Dockerfile(string name)
    {
        var instructions = new List<(string, string)>();
        var pending = "";
        foreach (var raw in File.ReadAllLines(PathOf(Path.Combine("docker", name))))
        {
            var line = raw.Trim();
            if (line.StartsWith('#') || (line.Length == 0 && pending.Length == 0))
            {
                continue;
            }
            if (line.EndsWith('\\'))
            {
                pending += line[..^1] + " ";
                continue;
            }
            line = pending + line;
            pending = "";
            if (line.Length == 0)
            {
                continue;
            }
            var space = line.IndexOf(' ', StringComparison.Ordinal);
            instructions.Add((line[..space].ToUpperInvariant(), line[(space + 1)..].Trim()));
        }
        return instructions;
    }

    public static IEnumerable<string> Dockerfiles() =>
        Directory.EnumerateFiles(PathOf("docker"), "Dockerfile.*").Select(Path.GetFileName).Order(StringComparer.Ordinal)!;

    /// <summary>The variables a Dockerfile's ENV lines set.</summary>
    public static Dictionary<string, string> DockerEnvironment(string dockerfile) =>
        Dockerfile(dockerfile).Where(i => i.Instruction == "ENV")
            .SelectMany(i => EnvPair().Matches(i.Arguments).Select(m => (m.Groups[1].Value, m.Groups[2].Value)))
            .ToDictionary(p => p.Item1, p => p.Item2, StringComparer.Ordinal);

    [GeneratedRegex(@"([A-Za-z_][A-Za-z0-9_]*)=(""[^""]*""|\S+)")]
    private static partial Regex EnvPair();

    /// <summary>
    /// Every settings key of <see cref="TlcOptions"/> (<c>cluster.silo_port</c>; a map as <c>aliases.</c> prefix), derived
    /// from the <see cref="ConfigurationKeyNameAttribute"/>s the binder reads.
    /// </summary>
    public static IReadOnlyList<(string Key, bool IsMap)> SettingsKeys() => [.. Keys(typeof(TlcOptions), "")];

    private static IEnumerable<(string, bool)> Keys(Type type, string prefix)
    {
        foreach (var property in type.GetProperties(BindingFlags.Public | BindingFlags.Instance))
        {
            if (property.GetCustomAttribute<ConfigurationKeyNameAttribute>() is not { } name)
            {
                continue;
            }
            var key = prefix + name.Name;
            var propertyType = property.PropertyType;
            if (typeof(IDictionary).IsAssignableFrom(propertyType))
            {
                yield return (key, true);
            }
            else if (propertyType.IsClass && propertyType != typeof(string) && propertyType.Namespace == typeof(TlcOptions).Namespace)
            {
                foreach (var nested in Keys(propertyType, key + "."))
                {
                    yield return nested;
                }
            }
            else
            {
                yield return (key, false);
            }
        }
    }

    /// <summary>
    /// The settings key an environment variable sets, by the binder's rule (prefix <c>TLC_</c> removed, <c>__</c> between
    /// sections, case ignored); null when it names no setting.
    /// </summary>
    public static string? SettingsKeyOf(string variable)
    {
        if (!variable.StartsWith("TLC_", StringComparison.Ordinal))
        {
            return null;
        }
        var key = variable["TLC_".Length..].Replace("__", ".", StringComparison.Ordinal);
        foreach (var (known, isMap) in SettingsKeys())
        {
            if (string.Equals(known, key, StringComparison.OrdinalIgnoreCase)
                || (isMap && key.StartsWith(known + ".", StringComparison.OrdinalIgnoreCase) && key.Length > known.Length + 1))
            {
                return known;
            }
        }
        return null;
    }

    /// <summary>The leaf keys of a settings file (<c>cluster.mode</c>).</summary>
    public static IEnumerable<string> LeafKeys(YamlNode node, string prefix = "")
    {
        foreach (var (key, value) in Entries(node))
        {
            if (value is YamlMappingNode)
            {
                foreach (var leaf in LeafKeys(value, prefix + key + "."))
                {
                    yield return leaf;
                }
            }
            else
            {
                yield return prefix + key;
            }
        }
    }

    /// <summary>The settings a process would load from this file and these variables (variables as overrides, the binder's keys).</summary>
    public static TlcOptions Load(string? configFile, IEnumerable<KeyValuePair<string, string?>> environment) =>
        TlcConfiguration.Load(
            environment.Where(e => e.Key.StartsWith("TLC_", StringComparison.Ordinal) && e.Key != TlcConfiguration.ConfigFileVariable)
                .Select(e => new KeyValuePair<string, string?>(e.Key["TLC_".Length..].Replace("__", ":", StringComparison.Ordinal), e.Value)),
            configFile);
}
