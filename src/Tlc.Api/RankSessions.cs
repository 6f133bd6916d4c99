using System.Collections.Concurrent;
using Tlc.Schemas;
using Table = Tlc.Tables.Table;

namespace Tlc.Api;

/// <summary>
/// The ranks' writers open in this API process (by writer id), the runs they write into and the input tables they read,
/// each opened once and shared. A writer's requests run one at a time (a rank sends its batches in order).
/// </summary>
internal sealed class RankSessions(ClusterContext context) : IAsyncDisposable
{
    private readonly ConcurrentDictionary<string, Session> _writers = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, Lazy<Task<Run>>> _runs = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, Lazy<Task<Table>>> _tables = new(StringComparer.Ordinal);

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

    /// <summary>The input table at <paramref name="url"/>, opened once.</summary>
    public Task<Table> TableAsync(string url) =>
        _tables.GetOrAdd(url, u => new Lazy<Task<Table>>(() => Table.OpenAsync(new Url(u), context.Adapters))).Value;

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
        foreach (var table in _tables.Values.Where(t => t.IsValueCreated && t.Value.IsCompletedSuccessfully))
        {
            table.Value.Result.Dispose();
        }
    }
}
