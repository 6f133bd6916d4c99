using System.Collections;
using System.Globalization;
using System.Reflection;
using Microsoft.Extensions.Configuration;
using Tlc.Silo.Storage;
using Tlc.Tables.Configuration;
using Tlc.Tables.Import;
using Tlc.Tables.Import.Jobs;
using Tlc.Testing;

namespace Tlc.Workers.Tests;

/// <summary>
/// docs/configuration.md is the configuration reference: every settings key of <see cref="TlcOptions"/> and every option
/// of the options classes appears there with the type and default the code has, and the page names nothing the code lacks.
/// </summary>
public sealed class ConfigurationReferenceTests
{
    private static readonly string Page = File.ReadAllText(Path.Combine(Fixtures.RepositoryRoot, "docs", "configuration.md"));

    /// <summary>The settings keys of <see cref="TlcOptions"/>, with their property and the object that holds its default.</summary>
    private static IEnumerable<(string Key, PropertyInfo Property, object Owner)> SettingsKeys(object options, string prefix = "")
    {
        foreach (var property in options.GetType().GetProperties(BindingFlags.Public | BindingFlags.Instance))
        {
            if (property.GetCustomAttribute<ConfigurationKeyNameAttribute>() is not { } name)
            {
                continue;
            }
            var key = prefix + name.Name;
            var type = property.PropertyType;
            if (type.IsClass && type != typeof(string) && type.Namespace == typeof(TlcOptions).Namespace)
            {
                foreach (var nested in SettingsKeys(property.GetValue(options)!, key + "."))
                {
                    yield return nested;
                }
            }
            else
            {
                yield return (typeof(IDictionary).IsAssignableFrom(type) ? key + ".<NAME>" : key, property, options);
            }
        }
    }

    [Fact]
    public void Settings_EveryKey_DocumentedWithItsEnvironmentVariableTypeAndDefault()
    {
        var rows = Table("## Settings");
        var keys = SettingsKeys(new TlcOptions()).ToArray();
        Assert.NotEmpty(keys);
        foreach (var (key, property, owner) in keys)
        {
            Assert.True(rows.TryGetValue(key, out var row), $"docs/configuration.md: the settings table lacks `{key}`.");
            var variable = key.EndsWith(".<NAME>", StringComparison.Ordinal)
                ? "TLC_" + key[..^".<NAME>".Length].ToUpperInvariant() + "__<NAME>"
                : "TLC_" + key.Replace(".", "__", StringComparison.Ordinal).ToUpperInvariant();
            Assert.True(row[1].Contains($"`{variable}`", StringComparison.Ordinal), $"`{key}`: the environment column should name `{variable}`, it says '{row[1]}'.");
            Assert.Equal((key, SettingsType(property.PropertyType)), (key, row[2]));
            AssertDefault(key, property.GetValue(owner), row[3]);
        }
        Assert.Empty(rows.Keys.Except(keys.Select(k => k.Key)));
    }

    [Theory]
    [InlineData(typeof(ImportOptions))]
    [InlineData(typeof(ImportJobOptions))]
    [InlineData(typeof(ClusterImportOptions))]
    [InlineData(typeof(CollectOptions))]
    [InlineData(typeof(WorkerOptions))]
    [InlineData(typeof(WorkerProcessOptions))]
    [InlineData(typeof(FileGrainStorageOptions))]
    public void OptionsClass_EveryProperty_DocumentedWithItsTypeAndDefault(Type options)
    {
        var rows = Table($"### `{options.Name}`");
        var instance = Activator.CreateInstance(options)!;
        var properties = options.GetProperties(BindingFlags.Public | BindingFlags.Instance).Where(p => p.CanWrite).ToArray();
        Assert.NotEmpty(properties);
        foreach (var property in properties)
        {
            Assert.True(rows.TryGetValue(property.Name, out var row), $"docs/configuration.md: the table of {options.Name} lacks `{property.Name}`.");
            Assert.Equal((property.Name, CSharpType(property)), (property.Name, row[1]));
            AssertDefault($"{options.Name}.{property.Name}", property.GetValue(instance), row[2]);
        }
        Assert.Empty(rows.Keys.Except(properties.Select(p => p.Name)));
    }

    /// <summary>
    /// The rows of the first table after <paramref name="heading"/> (up to the next heading), by the first cell without
    /// its backticks; each row's cells trimmed.
    /// </summary>
    private static Dictionary<string, string[]> Table(string heading)
    {
        var lines = Page.Split('\n').Select(l => l.TrimEnd('\r')).ToArray();
        var start = Array.FindIndex(lines, l => l == heading || l.StartsWith(heading + " ", StringComparison.Ordinal));
        Assert.True(start >= 0, $"docs/configuration.md has no heading '{heading}'.");
        var rows = new Dictionary<string, string[]>(StringComparer.Ordinal);
        for (var i = start + 1; i < lines.Length && !lines[i].StartsWith('#'); i++)
        {
            var line = lines[i];
            if (!line.StartsWith("| `", StringComparison.Ordinal))
            {
                continue;
            }
            // Split on cell separators, not on escaped pipes (\|) inside cells.
            var cells = System.Text.RegularExpressions.Regex.Split(line.Trim().Trim('|'), @"(?<!\\)\|").Select(c => c.Trim()).ToArray();
            Assert.True(rows.TryAdd(cells[0].Trim('`'), cells), $"docs/configuration.md: '{cells[0]}' appears twice under '{heading}'.");
        }
        Assert.NotEmpty(rows);
        return rows;
    }

    /// <summary>The default cell starts with the code's default in the page's notation; an explanation may follow.</summary>
    private static void AssertDefault(string what, object? value, string cell)
    {
        var expected = value switch
        {
            null => "none",
            string s when s.Length == 0 => "empty",
            string s => $"`{s}`",
            bool b => b ? "true" : "false",
            Enum e => $"`{e}`",
            TimeSpan t => string.Create(CultureInfo.InvariantCulture, $"{t.TotalSeconds} s"),
            IDictionary { Count: 0 } => "none",
            ICollection { Count: 0 } => "empty",
            int n when n == Environment.ProcessorCount && cell.StartsWith("processor count", StringComparison.Ordinal) => "processor count",
            double d when cell.Split(' ')[0].Split('/') is [var p, var q] && double.Parse(p, CultureInfo.InvariantCulture) / double.Parse(q, CultureInfo.InvariantCulture) == d => cell.Split(' ')[0],
            IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
            _ => throw new InvalidOperationException($"{what}: no notation for a default of type {value.GetType()}."),
        };
        Assert.True(cell == expected || cell.StartsWith(expected + " ", StringComparison.Ordinal),
            $"docs/configuration.md: the default of {what} should start with '{expected}' (the code's default), it says '{cell}'.");
    }

    private static string SettingsType(Type type) => type switch
    {
        _ when type == typeof(string) => "string",
        _ when type == typeof(int) => "int",
        _ when type == typeof(double) => "number",
        _ when type == typeof(bool) => "bool",
        _ when typeof(IDictionary).IsAssignableFrom(type) => "map",
        _ => throw new InvalidOperationException($"No settings type name for {type}."),
    };

    private static string CSharpType(PropertyInfo property) => CSharpType(new NullabilityInfoContext().Create(property));

    /// <summary>The C# spelling of a type with its nullable annotations (<c>IReadOnlyDictionary&lt;string, object?&gt;?</c>).</summary>
    private static string CSharpType(NullabilityInfo info)
    {
        var type = info.Type;
        if (Nullable.GetUnderlyingType(type) is { } underlying)
        {
            return Name(underlying) + "?";
        }
        var name = type.IsGenericType
            ? $"{type.Name[..type.Name.IndexOf('`', StringComparison.Ordinal)]}<{string.Join(", ", info.GenericTypeArguments.Select(CSharpType))}>"
            : Name(type);
        return !type.IsValueType && info.ReadState == NullabilityState.Nullable ? name + "?" : name;
    }

    private static string Name(Type type) => type switch
    {
        _ when type == typeof(string) => "string",
        _ when type == typeof(int) => "int",
        _ when type == typeof(long) => "long",
        _ when type == typeof(double) => "double",
        _ when type == typeof(bool) => "bool",
        _ when type == typeof(object) => "object",
        _ => type.Name,
    };
}
