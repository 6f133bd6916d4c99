using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using System.Globalization;
using System.Text;
using Tlc.Cluster;
using Tlc.Diagnostics;
using Tlc.Tables.Import;
using Tlc.Tables.Import.Jobs;
using Tlc.Testing;

namespace Tlc.Workers.Tests;

/// <summary>
/// The Tlc meter (<see cref="TlcMetrics"/>) during real import jobs on the embedded single-node default (the root's
/// silo and the workers in this process): rows, committed chunks, chunks in flight, job durations, lease expiries and
/// retries, as a <see cref="MeterListener"/> sees them.
/// </summary>
public sealed class JobMetricsTests : IDisposable
{
    private readonly TempRoot _root = new("job-metrics");

    public void Dispose() => _root.Dispose();

    private string WriteCsv(string name, int rows)
    {
        var path = Path.Combine(_root.Path, name);
        var text = new StringBuilder("id,label,score\n");
        for (var i = 0; i < rows; i++)
        {
            text.Append(CultureInfo.InvariantCulture, $"{i},class {i % 10},{i * 0.5}\n");
        }
        File.WriteAllText(path, text.ToString());
        return path;
    }

    private CsvImportOptions Options(string table) => new() { Root = _root.Url, Settings = _root.Settings, Project = "p", Dataset = "d", Table = table };

    [Fact(Timeout = 120_000)]
    public async Task ImportJob_EmbeddedDefault_RowsEqualTableRows_CommitsEqualChunks_InFlightBackToZero()
    {
        var ct = TestContext.Current.CancellationToken;
        var path = WriteCsv("source.csv", 3000);
        ImportPlan? plan = null;
        using var recorder = new Recorder();

        using var table = await ClusterImport.ImportAsync(ImportSource.Csv(path, Options("t")), new ClusterImportOptions
        {
            Job = new ImportJobOptions { ChunkBytes = 8 << 10 },
            LocalWorkers = 2,
            Submitted = s => plan = s.Plan,
        }, cancellationToken: ct);

        Assert.NotNull(plan);
        Assert.True(plan.Chunks.Count > 3, $"{plan.Chunks.Count} chunks");
        Assert.Equal(3000, table.RowCount);
        Assert.Equal(table.RowCount, recorder.Sum("tlc.job.rows", TlcMetrics.Imports));
        Assert.Equal(plan.Chunks.Count, recorder.Sum("tlc.job.items.committed", TlcMetrics.Imports));
        Assert.Equal(plan.Chunks.Count, recorder.Count("tlc.worker.item.duration", TlcMetrics.Imports));
        Assert.Equal(0, recorder.Sum("tlc.worker.items.in_flight", TlcMetrics.Imports));
        Assert.True(recorder.MaxRunningSum("tlc.worker.items.in_flight") >= 1, "chunks were in flight");
        Assert.Equal(0, recorder.Sum("tlc.job.lease.expirations", TlcMetrics.Imports));
        Assert.Equal(0, recorder.Sum("tlc.job.retries", TlcMetrics.Imports));
        var duration = Assert.Single(recorder.Measurements("tlc.job.duration"));
        Assert.Equal(TlcMetrics.Imports, duration.Tags[TlcMetrics.KindTag]);
        Assert.Equal("completed", duration.Tags[TlcMetrics.StatusTag]);
        Assert.InRange(duration.Value, 0, 120);
        Assert.Equal(0, recorder.Sum("tlc.job.rows", TlcMetrics.Metrics));
    }

    [Fact(Timeout = 120_000)]
    public async Task ImportJob_WorkerStalledMidChunk_LeaseExpiryAndRetryCounted()
    {
        var ct = TestContext.Current.CancellationToken;
        var path = WriteCsv("stall.csv", 1500);
        using var recorder = new Recorder();
        await using var connection = await ClusterConnection.ConnectAsync(_root.Settings, ct);
        var (plan, _) = await ImportJobs.PlanCsvAsync(path, Options("stall"), Guid.NewGuid().ToString("N"),
            new ImportJobOptions { ChunkBytes = 8 << 10, LeaseDuration = TimeSpan.FromSeconds(1) }, ct);
        var spec = plan!.Spec;
        var job = await ImportJob.SubmitAsync(connection.Context, plan!, ct);
        var stalled = new TaskCompletionSource();
        WorkerHost Worker(string id, bool stall) => new(connection.Context, new ArithmeticExecutor(connection.Adapters),
            new WorkerOptions { WorkerId = id, PollInterval = TimeSpan.FromMilliseconds(100), HeartbeatInterval = TimeSpan.FromSeconds(1) })
        {
            BeforeImportCommit = async (task, token) =>
            {
                // The first attempt at chunk 0 hangs (a worker that stopped answering) until the worker is stopped.
                if (stall && task.Chunk.Index == 0 && task.Lease.Attempt == 1)
                {
                    stalled.TrySetResult();
                    await Task.Delay(Timeout.Infinite, token);
                }
            },
        };
        using var stopFirst = new CancellationTokenSource();
        var first = Worker("stalling", stall: true).RunAsync(stopFirst.Token);
        await stalled.Task.WaitAsync(TimeSpan.FromSeconds(60), ct);
        await stopFirst.CancelAsync();
        await first;
        using var stop = new CancellationTokenSource();
        var second = Worker("healthy", stall: false).RunAsync(stop.Token);

        using var table = await job.WaitAsync(cancellationToken: ct);
        await stop.CancelAsync();
        await second;

        Assert.Equal(1500, table.RowCount);
        Assert.True(recorder.Sum("tlc.job.lease.expirations", TlcMetrics.Imports) >= 1, "a lease expiry was counted");
        Assert.True(recorder.Sum("tlc.job.retries", TlcMetrics.Imports) >= 1, "a retry was counted");
        Assert.Equal(plan!.Chunks.Count, recorder.Sum("tlc.job.items.committed", TlcMetrics.Imports));
        Assert.Equal(1500, recorder.Sum("tlc.job.rows", TlcMetrics.Imports));
        Assert.Equal(0, recorder.Sum("tlc.worker.items.in_flight", TlcMetrics.Imports));
    }

    /// <summary>Every measurement of the Tlc meter while it lives.</summary>
    private sealed class Recorder : IDisposable
    {
        private readonly MeterListener _listener = new();
        private readonly ConcurrentQueue<Measurement> _all = new();

        public Recorder()
        {
            _listener.InstrumentPublished = (instrument, listener) =>
            {
                if (instrument.Meter.Name == TlcMetrics.MeterName)
                {
                    listener.EnableMeasurementEvents(instrument);
                }
            };
            _listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) => Add(instrument, value, tags));
            _listener.SetMeasurementEventCallback<double>((instrument, value, tags, _) => Add(instrument, value, tags));
            _listener.Start();
        }

        private void Add(Instrument instrument, double value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
        {
            var map = new Dictionary<string, object?>(StringComparer.Ordinal);
            foreach (var tag in tags)
            {
                map[tag.Key] = tag.Value;
            }
            _all.Enqueue(new Measurement(instrument.Name, value, map));
        }

        public IReadOnlyList<Measurement> Measurements(string name) => [.. _all.Where(m => m.Name == name)];

        public double Sum(string name, string kind) => Measurements(name).Where(m => Equals(m.Tags[TlcMetrics.KindTag], kind)).Sum(m => m.Value);

        public int Count(string name, string kind) => Measurements(name).Count(m => Equals(m.Tags[TlcMetrics.KindTag], kind));

        public double MaxRunningSum(string name)
        {
            double sum = 0, max = 0;
            foreach (var m in Measurements(name))
            {
                sum += m.Value;
                max = Math.Max(max, sum);
            }
            return max;
        }

        public void Dispose() => _listener.Dispose();
    }

    private sealed record Measurement(string Name, double Value, Dictionary<string, object?> Tags);
}
