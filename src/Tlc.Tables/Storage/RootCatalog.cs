using System.Text.Json;
using System.Text.Json.Nodes;
using Tlc.Tables.Urls;

namespace Tlc.Tables.Storage;

/// <summary>A table found under a root: where it is, its project and dataset, and its object file.</summary>
/// <param name="Url">The table folder.</param>
/// <param name="Project">Its project.</param>
/// <param name="Dataset">Its dataset.</param>
/// <param name="Object">Its object file (the latest revision at that folder).</param>
public sealed record ListedTable(Url Url, string Project, string Dataset, TableObject Object);

/// <summary>A run found under a root: where it is and its snapshot (the run's object file, as JSON).</summary>
/// <param name="Url">The run folder.</param>
/// <param name="Project">Its project.</param>
/// <param name="Name">The run's name.</param>
/// <param name="Snapshot">Its object file; empty when it could not be parsed.</param>
public sealed record ListedRun(Url Url, string Project, string Name, JsonObject Snapshot);

/// <summary>
/// What a root holds, read from its folders (<see cref="TableLayout"/>): the projects, every table
/// (<c>projects/P/datasets/D/tables/T</c>) and every run (<c>projects/P/runs/R</c>), sorted by name. What the CLI's
/// listings and the dashboard's browse pages show.
/// </summary>
public static class RootCatalog
{
    /// <summary>The project names under <paramref name="root"/>, sorted.</summary>
    public static async Task<IReadOnlyList<string>> ListProjectsAsync(UrlAdapterRegistry adapters, Url root, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(adapters);
        var names = new List<string>();
        await foreach (var p in adapters.ListAsync(root.Join("projects"), recursive: false, cancellationToken).ConfigureAwait(false))
        {
            if (p.IsFolder)
            {
                names.Add(p.Url.Name);
            }
        }
        return [.. names.Order(StringComparer.Ordinal)];
    }

    /// <summary>Every table under <paramref name="root"/> (optionally of one project and dataset), sorted by project, dataset and name.</summary>
    public static async Task<IReadOnlyList<ListedTable>> ListTablesAsync(UrlAdapterRegistry adapters, Url root, string? project = null, string? dataset = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(adapters);
        var result = new List<ListedTable>();
        foreach (var p in await ProjectsAsync(adapters, root, project, cancellationToken).ConfigureAwait(false))
        {
            await foreach (var d in adapters.ListAsync(root.Join($"projects/{p}/datasets"), recursive: false, cancellationToken).ConfigureAwait(false))
            {
                if (!d.IsFolder || (dataset is not null && d.Url.Name != dataset))
                {
                    continue;
                }
                await foreach (var t in adapters.ListAsync(d.Url.Join("tables"), recursive: false, cancellationToken).ConfigureAwait(false))
                {
                    if (!t.IsFolder || !await adapters.ExistsAsync(TableLayout.ObjectFile(t.Url), cancellationToken).ConfigureAwait(false))
                    {
                        continue;
                    }
                    result.Add(new ListedTable(t.Url, p, d.Url.Name, await ObjectFiles.ReadAsync(adapters, t.Url, cancellationToken).ConfigureAwait(false)));
                }
            }
        }
        return [.. result.OrderBy(t => t.Project, StringComparer.Ordinal).ThenBy(t => t.Dataset, StringComparer.Ordinal)
            .ThenBy(t => t.Object.Name, StringComparer.Ordinal)];
    }

    /// <summary>Every run under <paramref name="root"/> (optionally of one project), sorted by project and name.</summary>
    public static async Task<IReadOnlyList<ListedRun>> ListRunsAsync(UrlAdapterRegistry adapters, Url root, string? project = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(adapters);
        var result = new List<ListedRun>();
        foreach (var p in await ProjectsAsync(adapters, root, project, cancellationToken).ConfigureAwait(false))
        {
            await foreach (var r in adapters.ListAsync(root.Join($"projects/{p}/runs"), recursive: false, cancellationToken).ConfigureAwait(false))
            {
                var objectFile = r.Url.Join(TableObject.FileName);
                if (!r.IsFolder || !await adapters.ExistsAsync(objectFile, cancellationToken).ConfigureAwait(false))
                {
                    continue;
                }
                JsonObject snapshot;
                try
                {
                    snapshot = JsonNode.Parse(await adapters.ReadAllBytesAsync(objectFile, cancellationToken).ConfigureAwait(false)) as JsonObject ?? [];
                }
                catch (JsonException)
                {
                    snapshot = [];
                }
                result.Add(new ListedRun(r.Url, p, r.Url.Name, snapshot));
            }
        }
        return [.. result.OrderBy(r => r.Project, StringComparer.Ordinal).ThenBy(r => r.Name, StringComparer.Ordinal)];
    }

    /// <summary>The projects to look in: all of them, or the one asked for.</summary>
    private static async Task<IEnumerable<string>> ProjectsAsync(UrlAdapterRegistry adapters, Url root, string? project, CancellationToken cancellationToken) =>
        (await ListProjectsAsync(adapters, root, cancellationToken).ConfigureAwait(false)).Where(p => project is null || p == project);
}
