using System.Globalization;
using System.Text;
using Tlc.Cluster;
using Tlc.Tables;
using Tlc.Tables.Import;
using Tlc.Tables.Import.Jobs;
using Tlc.Testing;

namespace Tlc.Workers.Tests;

/// <summary>
/// ClusterImport.ImportAsync on the embedded single-node default: no cluster configured, so the root's silo starts in
/// this process and workers run here; the table equals the one-process import; cancelling publishes nothing.
/// </summary>
public sealed class ClusterImportTests : IDisposable
{
    private readonly TempRoot _root = new("cluster-import");

    public void Dispose() => _root.Dispose();

    private string WriteNdjson(string name, int rows)
    {
        var path = Path.Combine(_root.Path, name);
        var text = new StringBuilder();
        for (var i = 0; i < rows; i++)
        {
            text.Append(CultureInfo.InvariantCulture, $"{{\"id\":{i},\"label\":\"c{i % 5}\",\"score\":{i * 0.5},\"tags\":[{i % 3},{i % 7}]}}\n");
        }
        File.WriteAllText(path, text.ToString());
        return path;
    }

    private NdjsonImportOptions Options(string table, int inferenceLines = NdjsonImportOptions.DefaultInferenceLines) =>
        new() { Root = _root.Url, Settings = _root.Settings, Dataset = "events", Table = table, InferenceLines = inferenceLines };

    [Fact(Timeout = 180_000)]
    public async Task ImportAsync_EmbeddedDefault_TwoLocalWorkers_SameTableAsOneProcess()
    {
        var ct = TestContext.Current.CancellationToken;
        var path = WriteNdjson("events.ndjson", 20_000);
        var submitted = new List<ImportJobSubmitted>();
        var reports = 0;

        using var table = await ClusterImport.ImportAsync(ImportSource.Ndjson(path, Options("job")), new ClusterImportOptions
        {
            Job = new ImportJobOptions { ChunkBytes = 64 << 10 },
            JobId = "events-job",
            LocalWorkers = 2,
            Submitted = submitted.Add,
        }, new SyncProgress(_ => Interlocked.Increment(ref reports)), ct);
        using var single = await Table.FromNdjsonAsync(path, Options("single"), ct);
        using var again = await ClusterImport.ImportAsync(ImportSource.Ndjson(path, Options("job")), new ClusterImportOptions { JobId = "events-job" },
            cancellationToken: ct);

        Assert.Equal(20_000, table.RowCount);
        Assert.Equal(single.ContentHash(), table.ContentHash());
        var s = Assert.Single(submitted);
        Assert.Equal(2, s.LocalWorkers);
        Assert.True(s.Plan.Chunks.Count > 8, $"{s.Plan.Chunks.Count} chunks");
        Assert.True(reports > 0);
        Assert.Equal(table.Url, again.Url);
    }

    [Fact(Timeout = 180_000)]
    public async Task ImportAsync_CallerCancels_JobCancelled_NothingPublishedNothingStaged()
    {
        var ct = TestContext.Current.CancellationToken;
        var path = WriteNdjson("many.ndjson", 60_000);
        using var cancel = CancellationTokenSource.CreateLinkedTokenSource(ct);
        JobHandle? job = null;

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => ClusterImport.ImportAsync(ImportSource.Ndjson(path, Options("cancelled")), new ClusterImportOptions
        {
            Job = new ImportJobOptions { ChunkBytes = 16 << 10 },
            LocalWorkers = 1,
            Submitted = s => job = s.Job,
        }, new SyncProgress(p =>
        {
            if (p.ItemsCommitted > 0)
            {
                cancel.Cancel();
            }
        }), cancel.Token));

        Assert.NotNull(job);
        var folder = Path.Combine(_root.Path, "projects", "default", "datasets", "events", "tables", "cancelled");
        Assert.False(File.Exists(Path.Combine(folder, "object.tlc.json")));
        Assert.Empty(Directory.Exists(Path.Combine(folder, "chunks")) ? Directory.GetFiles(Path.Combine(folder, "chunks")) : []);
        await using var connection = await ClusterConnection.ConnectAsync(_root.Settings, ct);
        var progress = await (await JobHandle.AttachAsync(connection.Context, job!.Id, ct)).GetProgressAsync(ct);
        Assert.Equal(JobStatus.Cancelled, progress.Status);
    }

    [Fact(Timeout = 120_000)]
    public async Task ImportAsync_BadLineInPlannedRange_FailsNamingFileAndLine()
    {
        var ct = TestContext.Current.CancellationToken;
        var path = WriteNdjson("bad.ndjson", 5_000);
        var lines = File.ReadAllLines(path);
        lines[4_000] = "{\"id\":4000,\"label\":\"c0\",\"score\":\"high\",\"tags\":[1]}";
        File.WriteAllLines(path, lines);

        var e = await Assert.ThrowsAsync<JobFailedException>(() => ClusterImport.ImportAsync(ImportSource.Ndjson(path, Options("bad", inferenceLines: 100)),
            new ClusterImportOptions { Job = new ImportJobOptions { ChunkBytes = 16 << 10 }, LocalWorkers = 1 }, cancellationToken: ct));

        Assert.Contains("bad.ndjson", e.Message, StringComparison.Ordinal);
        Assert.Contains("line 4001", e.Message, StringComparison.Ordinal);
        Assert.False(Directory.Exists(Path.Combine(_root.Path, "projects", "default", "datasets", "events", "tables", "bad", "chunks"))
            && Directory.GetFiles(Path.Combine(_root.Path, "projects", "default", "datasets", "events", "tables", "bad", "chunks")).Length > 0);
    }

    /// <summary>Reports on the calling thread.</summary>
    private sealed class SyncProgress(Action<JobProgress> report) : IProgress<JobProgress>
    {
        public void Report(JobProgress value) => report(value);
    }
}
