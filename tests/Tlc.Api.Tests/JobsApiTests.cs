using System.Collections;
using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Tlc.Cluster;
using Tlc.Schemas;
using Tlc.Tables.Import;
using Tlc.Tables.Import.Jobs;
using Tlc.Workers;

namespace Tlc.Api.Tests;

/// <summary>
/// The jobs API over HTTP on a real cluster: an import job listed pending with its chunks before any worker runs, then
/// completed with every chunk, its rows and its table once in-process workers ran it; a job of two ranks listed waiting
/// for the rank that has not closed; the list and one job answer the same shape; a bad kind or an unknown job is a 4xx.
/// </summary>
public sealed class JobsApiTests(ApiFixture fixture) : IClassFixture<ApiFixture>
{
    private static int _imports;

    /// <summary>
    /// Submits an import of <paramref name="rows"/> NDJSON rows cut into chunks of 16 KiB (no worker runs it yet); a
    /// <paramref name="badLine"/> (1-based, after the 100 lines the types are inferred from) holds markup where a number
    /// belongs: it fails its chunk, and with one attempt per chunk the job.
    /// </summary>
    internal static async Task<(JobHandle Job, int Chunks)> SubmitImportAsync(ApiFixture fixture, int rows, string name, int? badLine = null)
    {
        var ct = TestContext.Current.CancellationToken;
        var table = $"{name}-{Interlocked.Increment(ref _imports)}";
        var path = Path.Combine(fixture.Root.Path, $"{table}.ndjson");
        var text = new StringBuilder();
        for (var i = 0; i < rows; i++)
        {
            var id = i + 1 == badLine ? "\"<b>not a number</b>\"" : i.ToString(CultureInfo.InvariantCulture);
            text.Append(CultureInfo.InvariantCulture, $"{{\"id\":{id},\"label\":\"c{i % 5}\",\"score\":{i * 0.5}}}\n");
        }
        await File.WriteAllTextAsync(path, text.ToString(), ct);
        var source = ImportSource.Ndjson(path, new NdjsonImportOptions
        {
            Root = fixture.Root.Url, Settings = fixture.Root.Settings, Project = "jobs", Dataset = "events", Table = table, InferenceLines = 100,
        });
        var (plan, _) = await source.PlanAsync($"{table}-{Guid.NewGuid():N}", new ImportJobOptions { ChunkBytes = 16 << 10, MaxAttempts = 1 }, ct);
        return (await ImportJob.SubmitAsync(fixture.Context, plan!, ct), plan!.Chunks.Count);
    }

    /// <summary>Workers in this process polling every 50 ms: they run whatever the queue holds.</summary>
    internal static InProcessWorkers Workers(ApiFixture fixture) =>
        InProcessWorkers.Start(fixture.Context, 1, new WorkerOptions { PollInterval = TimeSpan.FromMilliseconds(50) });

    private async Task<(HttpStatusCode Status, JsonObject Body)> GetAsync(string path)
    {
        using var response = await fixture.Http.GetAsync(path, TestContext.Current.CancellationToken);
        var text = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
        return (response.StatusCode, (JsonObject)JsonNode.Parse(text)!);
    }

    private async Task<JsonObject> ListedAsync(string id, string query = "")
    {
        var (status, list) = await GetAsync("/v1/jobs" + query);
        Assert.Equal(HttpStatusCode.OK, status);
        return (JsonObject)list["jobs"]!.AsArray().Single(j => (string)j!["job"]! == id)!;
    }

    [Fact(Timeout = 120_000)]
    public async Task Jobs_ImportJobBeforeAndAfterWorkers_PendingThenCompletedWithEveryChunkRowAndItsTable()
    {
        var ct = TestContext.Current.CancellationToken;
        var (job, chunks) = await SubmitImportAsync(fixture, 4000, "listed");
        Assert.True(chunks > 3, $"{chunks} chunks");

        var pending = await ListedAsync(job.Id);
        var (oneStatus, one) = await GetAsync($"/v1/jobs/{job.Id}");
        JobProgress final;
        await using (Workers(fixture))
        {
            final = await job.WaitForEndAsync(cancellationToken: ct);
        }
        var completed = await ListedAsync(job.Id, "?kind=import");

        Assert.Equal(("import", "pending", "chunk"), ((string)pending["kind"]!, (string)pending["status"]!, (string)pending["unit"]!));
        Assert.Equal((chunks, 0, 0L), ((int)pending["items"]!, (int)pending["items_committed"]!, (long)pending["rows"]!));
        Assert.Null(pending["result"]);
        Assert.Equal(HttpStatusCode.OK, oneStatus);
        Assert.Equal(pending.ToJsonString(), one.ToJsonString()); // one shape for the list and the job
        Assert.Equal(JobStatus.Completed, final.Status);
        Assert.Equal("completed", (string)completed["status"]!);
        Assert.Equal((chunks, chunks, 0), ((int)completed["items"]!, (int)completed["items_committed"]!, (int)completed["items_failed"]!));
        Assert.Equal(4000L, (long)completed["rows"]!);
        Assert.Equal(final.ResultUrl, (string)completed["result"]!);
        Assert.Empty(completed["errors"]!.AsArray());
        Assert.NotNull(completed["finished"]);
        using var table = await Tables.Table.OpenAsync(new Url((string)completed["result"]!), fixture.Context.Adapters, ct);
        Assert.Equal(4000, table.RowCount);
    }

    [Fact(Timeout = 120_000)]
    public async Task Jobs_BadRowFailsTheImport_FailedWithTheErrorNamingTheLine()
    {
        var ct = TestContext.Current.CancellationToken;
        var (job, _) = await SubmitImportAsync(fixture, 600, "bad", badLine: 500);

        await using (Workers(fixture))
        {
            await job.WaitForEndAsync(cancellationToken: ct);
        }
        var failed = await ListedAsync(job.Id);

        Assert.Equal("failed", (string)failed["status"]!);
        Assert.Contains(failed["errors"]!.AsArray(), e => ((string)e!).Contains("line 500, column 'id': expected int64, got JSON string \"<b>not a number</b>\"", StringComparison.Ordinal));
        Assert.Null(failed["result"]);
    }

    [Fact(Timeout = 120_000)]
    public async Task Jobs_TwoRanksOneClosed_RunningWaitingForTheOtherRank_ThenCompleted()
    {
        var ct = TestContext.Current.CancellationToken;
        var (sink, run, writers, input) = await OpenRanksAsync(fixture, 40, "ranks");
        JsonObject waiting, imports, completed;
        await using (run)
        using (input)
        {
            await writers[0].CloseAsync(ct);
            waiting = await ListedAsync(sink, "?kind=stream");
            imports = (await GetAsync("/v1/jobs?kind=import")).Body;
            await writers[1].CloseAsync(ct);
            completed = await CompletedAsync(sink);
            foreach (var writer in writers)
            {
                await writer.DisposeAsync();
            }
        }

        Assert.Equal("stream", (string)waiting["kind"]!);
        Assert.DoesNotContain((string)waiting["status"]!, new[] { "completed", "failed", "cancelled" });
        Assert.Equal((2, 1, "rank"), ((int)waiting["writers"]!, (int)waiting["writers_closed"]!, (string)waiting["writer_noun"]!));
        Assert.Equal("[1]", waiting["waiting_for"]!.ToJsonString());
        Assert.DoesNotContain(imports["jobs"]!.AsArray(), j => (string)j!["job"]! == sink);
        Assert.Equal((2, "[]", 40L), ((int)completed["writers_closed"]!, completed["waiting_for"]!.ToJsonString(), (long)completed["rows"]!));
        Assert.NotNull(completed["result"]);
    }

    [Fact(Timeout = 60_000)]
    public async Task Jobs_BadKindOrUnknownJob_400And404NamingIt()
    {
        var (badKind, kindError) = await GetAsync("/v1/jobs?kind=train");
        var (missing, missingError) = await GetAsync("/v1/jobs/no-such-job");

        Assert.Equal(HttpStatusCode.BadRequest, badKind);
        Assert.Contains("kind: expected metrics, import or stream (got 'train')", (string)kindError["error"]!, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.NotFound, missing);
        Assert.Contains("no-such-job", (string)missingError["error"]!, StringComparison.Ordinal);
    }

    /// <summary>
    /// Opens two ranks' shares of a run's metrics table over an input of <paramref name="rows"/> rows, each rank writing
    /// the loss of every other row (nothing closed yet); answers the job (sink) id, the run, the writers and the input.
    /// </summary>
    internal static async Task<(string Sink, Run Run, MetricsTableWriter[] Writers, Tables.Table Input)> OpenRanksAsync(ApiFixture fixture, int rows, string name)
    {
        var ct = TestContext.Current.CancellationToken;
        var input = await Tables.Table.FromDictAsync(new Dictionary<string, IEnumerable>
        {
            ["name"] = Enumerable.Range(0, rows).Select(i => $"row{i}").ToArray(),
        }, new ImportOptions
        {
            Project = "jobs", Dataset = "data", Table = $"{name}-input-{Interlocked.Increment(ref _imports)}", Root = fixture.Root.Url, Settings = fixture.Root.Settings,
        });
        var run = await Runs.InitAsync(fixture.Context, "jobs", name, ifExists: RunIfExists.Overwrite, cancellationToken: ct);
        var launch = Guid.NewGuid().ToString("N");
        var writers = new MetricsTableWriter[2];
        for (var rank = 0; rank < 2; rank++)
        {
            writers[rank] = await run.OpenRankWriterAsync(input, new TableSchema { ["loss"] = new Float32Schema() }, "eval", 1,
                new RankInfo(rank, 2, rank, launch, $"a{rank}"), cancellationToken: ct);
            var mine = Enumerable.Range(0, rows).Where(i => i % 2 == rank).ToArray();
            await writers[rank].AddBatchAsync(new Dictionary<string, IList>
            {
                ["example_id"] = mine.Select(i => (long)i).ToArray(),
                ["loss"] = mine.Select(i => i / (float)rows).ToArray(),
            }, ct);
        }
        return (writers[0].SinkId, run, writers, input);
    }

    private async Task<JsonObject> CompletedAsync(string id)
    {
        for (var wait = 0; wait < 400; wait++)
        {
            var (_, job) = await GetAsync($"/v1/jobs/{id}");
            if ((string?)job["status"] == "completed")
            {
                return job;
            }
            Assert.NotEqual("failed", (string?)job["status"]);
            await Task.Delay(50, TestContext.Current.CancellationToken);
        }
        throw new TimeoutException($"{id} did not complete.");
    }
}
