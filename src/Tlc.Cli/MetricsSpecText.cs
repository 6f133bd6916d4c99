using System.Text.Json;
using System.Text.Json.Nodes;
using Tlc.Metrics;

namespace Tlc.Cli;

/// <summary>Model and collector specs as written on the command line.</summary>
internal static class MetricsSpecText
{
    /// <summary>
    /// <c>factory:NAME[@WEIGHTS]</c>, <c>torchscript:PATH</c> or <c>onnx:PATH</c> (paths become absolute file URLs; URLs stay),
    /// with optional arguments (a JSON object) and device.
    /// </summary>
    public static ModelSpec Model(string text, string? argumentsJson, string device)
    {
        ArgumentNullException.ThrowIfNull(text);
        var colon = text.IndexOf(':', StringComparison.Ordinal);
        var kind = colon > 0 ? text[..colon].ToLowerInvariant() : "";
        var rest = colon > 0 ? text[(colon + 1)..] : "";
        var arguments = Object(argumentsJson, "--model-args");
        switch (kind)
        {
            case ModelKinds.Factory:
                var at = rest.IndexOf('@', StringComparison.Ordinal);
                var name = at >= 0 ? rest[..at] : rest;
                var weights = at >= 0 ? rest[(at + 1)..] : null;
                if (name.Length == 0 || weights is { Length: 0 })
                {
                    throw new UsageException($"--model '{text}': write factory:NAME or factory:NAME@WEIGHTS (a path or URL).");
                }
                return new ModelSpec(ModelKinds.Factory, name, weights is null ? null : Location(weights), arguments, device);
            case ModelKinds.TorchScript or ModelKinds.Onnx when rest.Length > 0:
                return new ModelSpec(kind, Path.GetFileNameWithoutExtension(rest.TrimEnd('/')), Location(rest), arguments, device);
            default:
                throw new UsageException($"--model '{text}' is not a model spec: write factory:NAME[@WEIGHTS], torchscript:PATH or onnx:PATH.");
        }
    }

    /// <summary>Comma-separated collector names with <c>NAME=JSON</c> arguments.</summary>
    public static IReadOnlyList<CollectorSpec> Collectors(string list, IEnumerable<string> arguments)
    {
        ArgumentNullException.ThrowIfNull(list);
        var names = list.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (names.Length == 0)
        {
            throw new UsageException("--collectors names no collector: write e.g. classification,embeddings.");
        }
        if (names.Distinct(StringComparer.Ordinal).Count() != names.Length)
        {
            throw new UsageException($"--collectors '{list}' names a collector twice.");
        }
        var byName = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var item in arguments)
        {
            var equals = item.IndexOf('=', StringComparison.Ordinal);
            if (equals <= 0)
            {
                throw new UsageException($"--collector-args '{item}': write NAME=JSON, e.g. embeddings='{{\"layers\": [9]}}'.");
            }
            var name = item[..equals].Trim();
            if (!names.Contains(name, StringComparer.Ordinal))
            {
                throw new UsageException($"--collector-args names '{name}', which is not in --collectors ({string.Join(",", names)}).");
            }
            if (!byName.TryAdd(name, Object(item[(equals + 1)..], $"--collector-args {name}")!))
            {
                throw new UsageException($"--collector-args gives '{name}' twice.");
            }
        }
        return [.. names.Select(n => new CollectorSpec(n, byName.GetValueOrDefault(n)))];
    }

    /// <summary>A JSON object argument, compacted; null when absent.</summary>
    private static string? Object(string? json, string option)
    {
        if (json is null)
        {
            return null;
        }
        try
        {
            return JsonNode.Parse(json) is JsonObject o
                ? o.ToJsonString()
                : throw new UsageException($"{option} must be a JSON object, e.g. {{\"classes\": 10}}; got: {json}");
        }
        catch (JsonException e)
        {
            throw new UsageException($"{option} is not valid JSON ({e.Message}): {json}");
        }
    }

    /// <summary>A path (made absolute) or URL.</summary>
    private static string Location(string text) =>
        text.Contains("://", StringComparison.Ordinal) || text.StartsWith('<') ? text : Url.FromLocalPath(text).Value;
}
