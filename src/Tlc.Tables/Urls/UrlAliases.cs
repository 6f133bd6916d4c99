using System.Collections;
using System.Collections.Concurrent;
using System.Text.RegularExpressions;

namespace Tlc.Tables.Urls;

/// <summary>
/// Alias tokens in URLs (<c>&lt;DATA&gt;/images/a.png</c>), as in 3LC: a token is <c>&lt;NAME&gt;</c> with NAME matching
/// <c>[A-Z][A-Z0-9_]*</c>. Values come, highest first, from <see cref="Register"/>, the environment
/// (<c>TLC_ALIAS_&lt;NAME&gt;</c>) and the <c>aliases</c> section of the configuration.
/// </summary>
public sealed partial class UrlAliases
{
    private readonly ConcurrentDictionary<string, string> _registered;
    private readonly Func<string, string?> _environment;
    private readonly IReadOnlyDictionary<string, string> _project;
    private IReadOnlyDictionary<string, string> _configured;

    /// <summary>Creates an alias set over the given configured aliases and an environment lookup.</summary>
    public UrlAliases(IReadOnlyDictionary<string, string>? configured = null, Func<string, string?>? environment = null)
    {
        _registered = new ConcurrentDictionary<string, string>(StringComparer.Ordinal);
        _configured = configured ?? new Dictionary<string, string>();
        _environment = environment ?? Environment.GetEnvironmentVariable;
        _project = new Dictionary<string, string>();
    }

    private UrlAliases(UrlAliases global, IReadOnlyDictionary<string, string> project)
    {
        _registered = global._registered;
        _environment = global._environment;
        _configured = global._configured;
        _project = project;
    }

    /// <summary>
    /// These aliases with a project's (<see cref="ProjectAliases"/>) between the environment's and the configured ones:
    /// code, then <c>TLC_ALIAS_&lt;NAME&gt;</c>, then the project's, then the configuration file's.
    /// </summary>
    public UrlAliases WithProject(IReadOnlyDictionary<string, string> project)
    {
        ArgumentNullException.ThrowIfNull(project);
        return project.Count == 0 ? this : new UrlAliases(this, project);
    }

    [GeneratedRegex("<([A-Z][A-Z0-9_]*)>")]
    private static partial Regex Token();

    /// <summary>True when <paramref name="name"/> is a valid alias name (<c>[A-Z][A-Z0-9_]*</c>).</summary>
    public static bool IsValidName(string name) => !string.IsNullOrEmpty(name) && Token().Match($"<{name}>") is { Success: true } m && m.Length == name.Length + 2;

    /// <summary>Defines or replaces an alias in code.</summary>
    public void Register(string name, string value)
    {
        if (!Token().IsMatch($"<{name}>") || Token().Match($"<{name}>").Length != name.Length + 2)
        {
            throw new ArgumentException($"Invalid alias name '{name}': use [A-Z][A-Z0-9_]*.", nameof(name));
        }
        ArgumentException.ThrowIfNullOrEmpty(value);
        _registered[name] = value;
    }

    /// <summary>Replaces the configured aliases (from the configuration file).</summary>
    public void Configure(IReadOnlyDictionary<string, string> configured) => _configured = configured ?? throw new ArgumentNullException(nameof(configured));

    /// <summary>Removes the aliases defined in code.</summary>
    public void Reset() => _registered.Clear();

    /// <summary>The value of alias <paramref name="name"/>, or null.</summary>
    public string? Find(string name) =>
        _registered.TryGetValue(name, out var v) ? v
        : _environment($"TLC_ALIAS_{name}") is { Length: > 0 } e ? e
        : _project.TryGetValue(name, out var p) ? p
        : _configured.TryGetValue(name, out var c) ? c
        : null;

    /// <summary>Replaces every alias token in <paramref name="text"/>; an unknown alias is an error naming how to define it.</summary>
    public string Expand(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (!text.Contains('<', StringComparison.Ordinal))
        {
            return text;
        }
        for (var depth = 0; depth < 8 && Token().IsMatch(text); depth++)
        {
            text = Token().Replace(text, m => Find(m.Groups[1].Value)?.TrimEnd('/')
                ?? throw new ArgumentException(
                    $"Unknown URL alias <{m.Groups[1].Value}> in '{text}': define it in the config file's 'aliases', " +
                    $"the environment variable TLC_ALIAS_{m.Groups[1].Value}, or UrlAliases.Register."));
        }
        return text;
    }

    /// <summary><paramref name="url"/> with every alias token replaced (the same URL when it has none).</summary>
    /// <exception cref="ArgumentException">An alias no setting defines.</exception>
    public Url Expand(Url url) => url.Value.Contains('<', StringComparison.Ordinal) ? new Url(Expand(url.Value)) : url;

    /// <summary>Every alias known, name → value (code, environment, configuration merged).</summary>
    public IReadOnlyDictionary<string, string> All()
    {
        var all = new SortedDictionary<string, string>(_configured.ToDictionary(), StringComparer.Ordinal);
        foreach (var (k, v) in _project)
        {
            all[k] = v;
        }
        foreach (DictionaryEntry e in Environment.GetEnvironmentVariables())
        {
            if (e.Key is string k && k.StartsWith("TLC_ALIAS_", StringComparison.Ordinal) && e.Value is string v)
            {
                all[k["TLC_ALIAS_".Length..]] = v;
            }
        }
        foreach (var (k, v) in _registered)
        {
            all[k] = v;
        }
        return all;
    }
}
