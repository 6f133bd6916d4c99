using System.Collections.Concurrent;
using Tlc.Schemas;
using Tlc.Tables;
using Tlc.Tables.Storage;
using Table = Tlc.Tables.Table;

namespace Tlc.Api;

/// <summary>
/// The ranks' writers open in this API process (by writer id), the runs they write into and the tables requests read
/// (only from under the root), each opened once and shared. A writer's requests run one at a time (a rank sends its batches in order).
/// </summary>
internal sealed class RankSessions(ClusterContext context) : IAsyncDisposable
{
    private readonly ConcurrentDictionary<string, Session> _writers = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, Lazy<Task<Run>>> _runs = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, OpenedTable> _tables = new(StringComparer.Ordinal);

    /// <summary>One rank's open writer.</summary>
    public sealed class Session(MetricsTableWriter writer, IReadOnlyDictionary<string, ColumnSchema> columns, long tableRows)
    {
        /// <summary>The writer.</summary>
        public MetricsTableWriter Writer { get; } = writer;

        /// <summary>The columns a batch carries (<c>example_id</c> and the rank's columns; not the constants).</summary>
        public IReadOnlyDictionary<string, ColumnSchema> Columns { get; } = columns;

        /// <summary>The input table's rows.</summary>
        public long TableRows { get; } = tableRows;

        /// <summary>One request at a time.</summary>
        public SemaphoreSlim Gate { get; } = new(1, 1);
    }

    /// <summary>The run "project/name", joined (created if new, kept if it exists) once per API process.</summary>
    public Task<Run> RunAsync(string key)
    {
        var parts = key.Split('/');
        if (parts.Length != 2 || parts.Any(string.IsNullOrEmpty))
        {
            throw new ApiException(400, $"run: '{key}' is not 'project/run'.");
        }
        return _runs.GetOrAdd(key, _ => new Lazy<Task<Run>>(() => Runs.InitAsync(context, parts[0], parts[1], ifExists: RunIfExists.Reuse))).Value;
    }

    /// <summary>How long a table opened here is served before its object file is read again to see whether the table at that URL was overwritten: 1 s.</summary>
    public static readonly TimeSpan Revalidate = TimeSpan.FromSeconds(1);

    /// <summary>
    /// The table a request names in <paramref name="parameter"/>, if it lies under the root (403 otherwise, 404 when there is
    /// none): opened once and shared. At most every <see cref="Revalidate"/> its object file is read again, and the table is
    /// opened anew when it was overwritten at that URL since (its id changed); a failed opening is not kept.
    /// </summary>
    public async Task<Table> TableAsync(string text, string parameter, CancellationToken cancellationToken)
    {
        var url = context.Adapters.Expand(new Url(text));
        if (!IsUnder(url, context.Root))
        {
            throw new ApiException(403, $"{parameter}: {text} is not under this API's root {context.Root}; only tables under the root are served.");
        }
        var now = context.Time.GetUtcNow();
        if (_tables.TryGetValue(url.Value, out var kept) && kept.Started && kept.Table.IsCompletedSuccessfully && now - kept.Checked < Revalidate)
        {
            return kept.Table.Result;
        }
        string current;
        try
        {
            current = (await ObjectFiles.ReadAsync(context.Adapters, url, cancellationToken).ConfigureAwait(false)).Id;
        }
        catch (TableNotFoundException)
        {
            throw new ApiException(404, $"{parameter}: there is no table at {text} (no {TableObject.FileName}).");
        }
        var entry = _tables.GetOrAdd(url.Value, _ => new OpenedTable(() => Table.OpenAsync(url, context.Adapters), now));
        Table table;
        try
        {
            table = await entry.Table.ConfigureAwait(false);
        }
        catch
        {
            _tables.TryRemove(KeyValuePair.Create(url.Value, entry));
            throw;
        }
        if (table.Object.Id != current)
        {
            // Overwritten since it was opened: requests still reading the old table finish with it; new ones get the new one.
            var fresh = new OpenedTable(() => Table.OpenAsync(url, context.Adapters), now);
            entry = _tables.TryUpdate(url.Value, fresh, entry) ? fresh : _tables[url.Value];
            table = await entry.Table.ConfigureAwait(false);
        }
        entry.Checked = now;
        return table;
    }

    /// <summary>A table opened for requests, and when its object file was last read to see that it is still the one at its URL.</summary>
    private sealed class OpenedTable(Func<Task<Table>> open, DateTimeOffset checkedAt)
    {
        private readonly Lazy<Task<Table>> _table = new(open);

        /// <summary>The opening (started by the first to ask: concurrent requests share one).</summary>
        public Task<Table> Table => _table.Value;

        /// <summary>True once the opening started.</summary>
        public bool Started => _table.IsValueCreated;

        public DateTimeOffset Checked { get; set; } = checkedAt;
    }

    private static bool IsUnder(Url url, Url root)
    {
        var prefix = root.Value.TrimEnd('/') + "/";
        return url.Value.StartsWith(prefix, StringComparison.Ordinal) && !url.Value.Split('/').Contains("..");
    }

    /// <summary>Keeps an opened writer; returns its id.</summary>
    public string Add(Session session)
    {
        var id = Guid.NewGuid().ToString("N");
        _writers[id] = session;
        return id;
    }

    /// <summary>The writer <paramref name="id"/>.</summary>
    public Session Get(string id) => _writers.TryGetValue(id, out var session)
        ? session
        : throw new ApiException(404, $"No open writer '{id}' here (it was closed, or this API process restarted: open the rank's share again).");

    /// <summary>Forgets a closed writer.</summary>
    public void Remove(string id) => _writers.TryRemove(id, out _);

    /// <summary>Leaves open shares open (a rank opens them again) and lets go of the runs and tables.</summary>
    public async ValueTask DisposeAsync()
    {
        _writers.Clear();
        foreach (var run in _runs.Values.Where(r => r.IsValueCreated))
        {
            try
            {
                await (await run.Value.ConfigureAwait(false)).DisposeAsync().ConfigureAwait(false);
            }
            catch (Exception e) when (e is InvalidOperationException or TimeoutException or OrleansException)
            {
            }
        }
        foreach (var table in _tables.Values.Where(t => t.Started && t.Table.IsCompletedSuccessfully))
        {
            table.Table.Result.Dispose();
        }
    }
}
