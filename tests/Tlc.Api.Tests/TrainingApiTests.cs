using System.Buffers.Binary;
using System.Collections;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Tlc.Api.Hosting;
using Tlc.Tables.Import;
using Tlc.Testing;

namespace Tlc.Api.Tests;

/// <summary>An embedded silo and the training API on a free loopback port, shared by the API tests.</summary>
public sealed class ApiFixture : IAsyncLifetime
{
    private ClusterConnection? _connection;

    public TempRoot Root { get; } = new("api");

    public ClusterContext Context => (_connection ?? throw new InvalidOperationException("Not started.")).Context;

    public TrainingApiHost Host { get; private set; } = null!;

    public HttpClient Http { get; private set; } = null!;

    public async ValueTask InitializeAsync()
    {
        _connection = await ClusterConnection.ConnectAsync(Root.Settings);
        Host = await TrainingApiHost.StartAsync(Context, new TrainingApiOptions { Port = 0 });
        Http = new HttpClient { BaseAddress = new Uri(Host.Url) };
    }

    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        await Host.DisposeAsync();
        if (_connection is not null)
        {
            await _connection.DisposeAsync();
        }
        Root.Dispose();
    }
}

/// <summary>
/// The training API over HTTP as a trainer in another language uses it: ranks open their share, append JSON or binary
/// columns, close; the table is published with every id once; bad requests get 4xx errors naming the field and row and
/// write nothing.
/// </summary>
public sealed class TrainingApiTests(ApiFixture fixture) : IClassFixture<ApiFixture>
{
    private static int _tables;

    private async Task<Tables.Table> ForeignAsync(int rows) => await Tables.Table.FromDictAsync(new Dictionary<string, IEnumerable>
    {
        ["name"] = Enumerable.Range(0, rows).Select(i => $"row{i}").ToArray(),
        ["name_length"] = Enumerable.Range(0, rows).Select(i => (long)$"row{i}".Length).ToArray(),
    }, new ImportOptions
    {
        Project = "api", Dataset = "data", Table = $"input-{Interlocked.Increment(ref _tables)}", Root = fixture.Root.Url, Settings = fixture.Root.Settings,
    });

    private async Task<JsonObject> PostAsync(string path, object body, HttpStatusCode expected = HttpStatusCode.OK)
    {
        using var response = await fixture.Http.PostAsJsonAsync(path, body, TestContext.Current.CancellationToken);
        var text = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
        Assert.True(response.StatusCode == expected, $"{path}: {(int)response.StatusCode} {text}");
        return (JsonObject)JsonNode.Parse(text)!;
    }

    private static object Open(string run, Tables.Table table, int rank, int world, string attempt, string launch) => new Dictionary<string, object>
    {
        ["run"] = run, ["table"] = table.Url.Value, ["stream"] = "eval", ["epoch"] = 2,
        ["columns"] = new Dictionary<string, string> { ["loss"] = "float32", ["embedding"] = "float32[3]" },
        ["rank"] = rank, ["world_size"] = world, ["launch_id"] = launch, ["attempt"] = attempt, ["require_full_coverage"] = true,
    };

    private static object Json(IEnumerable<long> ids) => new Dictionary<string, object>
    {
        ["example_id"] = ids.ToArray(),
        ["loss"] = ids.Select(i => i * 0.5f).ToArray(),
        ["embedding"] = ids.Select(i => new[] { (float)i, 1f, 2f }).ToArray(),
    };

    /// <summary>The binary form, as numpy's tobytes() makes it.</summary>
    private static byte[] Binary(long[] ids)
    {
        var header = Encoding.UTF8.GetBytes(JsonSerializer.Serialize(new
        {
            rows = ids.Length,
            columns = new[] { new { name = "example_id", type = "int64" }, new { name = "loss", type = "float32" }, new { name = "embedding", type = "float32[3]" } },
        }));
        var body = new List<byte>("TLCC"u8.ToArray());
        var length = new byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(length, (uint)header.Length);
        body.AddRange(length);
        body.AddRange(header);
        void Column(byte[] bytes)
        {
            while (body.Count % 8 != 0)
            {
                body.Add(0);
            }
            body.AddRange(bytes);
        }
        Column(ids.SelectMany(BitConverter.GetBytes).ToArray());
        Column(ids.SelectMany(i => BitConverter.GetBytes(i * 0.5f)).ToArray());
        Column(ids.SelectMany(i => new[] { (float)i, 1f, 2f }).SelectMany(BitConverter.GetBytes).ToArray());
        return [.. body];
    }

    private async Task<JsonObject> PostBinaryAsync(string path, byte[] body)
    {
        using var content = new ByteArrayContent(body);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/vnd.tlc.columns");
        using var response = await fixture.Http.PostAsync(path, content, TestContext.Current.CancellationToken);
        var text = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
        Assert.True(response.IsSuccessStatusCode, $"{path}: {(int)response.StatusCode} {text}");
        return (JsonObject)JsonNode.Parse(text)!;
    }

    private async Task<Tables.Table> PublishedAsync(string sinkId)
    {
        for (var wait = 0; wait < 200; wait++)
        {
            using var response = await fixture.Http.GetAsync($"/v1/jobs/{sinkId}", TestContext.Current.CancellationToken);
            var job = JsonNode.Parse(await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken))!;
            if ((string?)job["status"] == "completed")
            {
                return await Tables.Table.OpenAsync(new Url((string)job["result"]!), fixture.Context.Adapters, TestContext.Current.CancellationToken);
            }
            Assert.NotEqual("failed", (string?)job["status"]);
            await Task.Delay(50, TestContext.Current.CancellationToken);
        }
        throw new TimeoutException($"{sinkId} was not published.");
    }

    [Fact(Timeout = 90_000)]
    public async Task ThreeRanks_JsonAndBinaryColumns_PublishedOnceAllClosed_EachIdOnce()
    {
        const int rows = 300;
        using var foreign = await ForeignAsync(rows);
        var writers = new List<string>();
        string? sink = null;
        for (var rank = 0; rank < 3; rank++)
        {
            var opened = await PostAsync("/v1/ranks", Open("api/three", foreign, rank, 3, $"a{rank}", "launch-3"));
            writers.Add((string)opened["writer"]!);
            sink ??= (string)opened["sink_id"]!;
            Assert.Equal(sink, (string)opened["sink_id"]!);
            var mine = Enumerable.Range(0, rows).Where(i => i % 3 == rank).Select(i => (long)i).Reverse().ToArray();
            foreach (var chunk in mine.Chunk(40))
            {
                var answer = rank == 1 ? await PostBinaryAsync($"/v1/ranks/{writers[^1]}/rows", Binary(chunk)) : await PostAsync($"/v1/ranks/{writers[^1]}/rows", Json(chunk));
                Assert.Equal(chunk.Length, (int)answer["added"]!);
            }
        }
        await PostAsync($"/v1/ranks/{writers[0]}/close", new { });
        var closed = await PostAsync($"/v1/ranks/{writers[2]}/close", new { });
        Assert.Equal((2, 3), ((int)closed["ranks_closed"]!, (int)closed["world_size"]!));
        using (var waiting = await fixture.Http.GetAsync($"/v1/jobs/{sink}", TestContext.Current.CancellationToken))
        {
            var job = JsonNode.Parse(await waiting.Content.ReadAsStringAsync(TestContext.Current.CancellationToken))!;
            Assert.Equal("[1]", job["waiting_for"]!.ToJsonString());
        }
        await PostAsync($"/v1/ranks/{writers[1]}/close", new { });

        using var table = await PublishedAsync(sink!);
        Assert.Equal(rows, table.RowCount);
        var ids = Enumerable.Range(0, rows).Select(r => (long)table.Rows[r]["example_id"]!).ToArray();
        Assert.Equal(Enumerable.Range(0, rows).Select(i => (long)i), ids.Order());
        Assert.All(Enumerable.Range(0, rows), r => Assert.Equal(ids[r] * 0.5f, (float)table.Rows[r]["loss"]!));
        Assert.All(Enumerable.Range(0, rows), r => Assert.Equal(new[] { ids[r], 1f, 2f }, ((IEnumerable)table.Rows[r]["embedding"]!).Cast<float>()));
        Assert.All(Enumerable.Range(0, rows), r => Assert.Equal(2, table.Rows[r]["epoch"]));
    }

    [Fact(Timeout = 90_000)]
    public async Task BadRequests_4xxNamingTheFieldAndRow_NothingWritten_TheRankGoesOn()
    {
        using var foreign = await ForeignAsync(20);
        var opened = await PostAsync("/v1/ranks", Open("api/bad", foreign, 0, 1, "first", "launch-bad"));
        var writer = (string)opened["writer"]!;
        var rows = $"/v1/ranks/{writer}/rows";

        var unknown = await PostAsync(rows, new Dictionary<string, object> { ["example_id"] = new[] { 0L }, ["accuracy"] = new[] { 1f } }, HttpStatusCode.BadRequest);
        var length = await PostAsync(rows, new Dictionary<string, object> { ["example_id"] = new[] { 0L, 1L }, ["loss"] = new[] { 1f }, ["embedding"] = new[] { new[] { 1f, 2f, 3f } } }, HttpStatusCode.BadRequest);
        var outside = await PostAsync(rows, Json([3, 25]), HttpStatusCode.BadRequest);
        var twice = await PostAsync(rows, Json([4, 5, 4]), HttpStatusCode.BadRequest);
        var type = await PostAsync(rows, new Dictionary<string, object> { ["example_id"] = new[] { 0L, 1L, 2L }, ["loss"] = new object[] { 1f, 2f, "x" }, ["embedding"] = Enumerable.Repeat(new[] { 1f, 2f, 3f }, 3).ToArray() }, HttpStatusCode.BadRequest);
        var width = await PostAsync(rows, new Dictionary<string, object> { ["example_id"] = new[] { 0L }, ["loss"] = new[] { 1f }, ["embedding"] = new[] { new[] { 1f } } }, HttpStatusCode.BadRequest);
        var columnType = await PostAsync("/v1/ranks", new Dictionary<string, object>
        {
            ["run"] = "api/bad", ["table"] = foreign.Url.Value, ["stream"] = "other", ["epoch"] = 0, ["columns"] = new Dictionary<string, string> { ["loss"] = "float16" },
            ["rank"] = 0, ["world_size"] = 1, ["launch_id"] = "l", ["attempt"] = "a",
        }, HttpStatusCode.BadRequest);
        var rank = await PostAsync("/v1/ranks", Open("api/bad", foreign, 3, 2, "x", "launch-other"), HttpStatusCode.BadRequest);
        var missing = await PostAsync("/v1/ranks/no-such-writer/rows", Json([1]), HttpStatusCode.NotFound);

        Assert.Contains("Unknown column 'accuracy'", (string)unknown["error"]!, StringComparison.Ordinal);
        Assert.Contains("Column 'loss' has 1 values", (string)length["error"]!, StringComparison.Ordinal);
        Assert.Contains("Row 1, column 'example_id': 25 is outside the input table's rows 0..19", (string)outside["error"]!, StringComparison.Ordinal);
        Assert.Contains("Row 2, column 'example_id': 4 is also in row 0", (string)twice["error"]!, StringComparison.Ordinal);
        Assert.Contains("Row 2, column 'loss': \"x\" is not a number", (string)type["error"]!, StringComparison.Ordinal);
        Assert.Contains("Row 0, column 'embedding': expected 3 numbers", (string)width["error"]!, StringComparison.Ordinal);
        Assert.Contains("columns.loss: 'float16' is not a column type", (string)columnType["error"]!, StringComparison.Ordinal);
        Assert.Contains("RANK 3 is outside 0..1", (string)rank["error"]!, StringComparison.Ordinal);
        Assert.Contains("No open writer 'no-such-writer'", (string)missing["error"]!, StringComparison.Ordinal);

        // A restarted rank replaces the first attempt, whose writes are refused as stale from then on.
        var again = await PostAsync("/v1/ranks", Open("api/bad", foreign, 0, 1, "second", "launch-bad"));
        await PostAsync(rows, Json(Enumerable.Range(0, 20).Select(i => (long)i)));
        var stale = await PostAsync($"/v1/ranks/{writer}/close", new { }, HttpStatusCode.Conflict);
        Assert.Contains("replaced by attempt second", (string)stale["error"]!, StringComparison.Ordinal);
        var fresh = (string)again["writer"]!;
        await PostAsync($"/v1/ranks/{fresh}/rows", Json(Enumerable.Range(0, 20).Select(i => (long)i)));
        await PostAsync($"/v1/ranks/{fresh}/close", new { });
        using var table = await PublishedAsync((string)again["sink_id"]!);
        Assert.Equal(20, table.RowCount);
    }

    [Fact(Timeout = 120_000)]
    public async Task PythonClient_TwoRanksBinaryColumns_TablePublished_ExactSamplerWithoutPadding()
    {
        const int rows = 101;
        using var foreign = await ForeignAsync(rows);
        var script = Path.Combine(Fixtures.RepositoryRoot, "clients", "python", "check_client.py");
        var start = new System.Diagnostics.ProcessStartInfo(Python, [script, fixture.Host.Url, "api/python", foreign.Url.Value, rows.ToString(System.Globalization.CultureInfo.InvariantCulture)])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        using var python = System.Diagnostics.Process.Start(start)!;
        var output = python.StandardOutput.ReadToEndAsync(TestContext.Current.CancellationToken);
        var errors = python.StandardError.ReadToEndAsync(TestContext.Current.CancellationToken);
        await python.WaitForExitAsync(TestContext.Current.CancellationToken);
        Assert.True(python.ExitCode == 0, $"check_client.py failed ({python.ExitCode}): {await errors}");

        using var table = await PublishedAsync((await output).Trim());
        Assert.Equal(rows, table.RowCount);
        var ids = Enumerable.Range(0, rows).Select(r => (long)table.Rows[r]["example_id"]!).ToArray();
        Assert.Equal(Enumerable.Range(0, rows).Select(i => (long)i), ids.Order());
        Assert.All(Enumerable.Range(0, rows), r => Assert.Equal(ids[r] * 0.25f, (float)table.Rows[r]["loss"]!));
        Assert.All(Enumerable.Range(0, rows), r => Assert.Equal((int)(ids[r] % 10), (int)table.Rows[r]["predicted"]!));
        await using var run = await Runs.OpenAsync(fixture.Context, "api", "python", TestContext.Current.CancellationToken);
        var log = await run.ReadLogAsync(TestContext.Current.CancellationToken);
        Assert.Equal((1.0, 1.0), (Assert.Single(log)["epoch"], log[0]["loss"]));
    }

    /// <summary>Debian's Python, which has numpy (and torch) from Debian's packages; another python3 may lack them.</summary>
    private static string Python => File.Exists("/usr/bin/python3") ? "/usr/bin/python3" : "python3";

    [Fact(Timeout = 60_000)]
    public async Task TokenRequired_RequestWithoutIt_401()
    {
        await using var guarded = await TrainingApiHost.StartAsync(fixture.Context, new TrainingApiOptions { Port = 0, Token = "s3cret" });
        using var http = new HttpClient { BaseAddress = new Uri(guarded.Url) };

        using var without = await http.GetAsync("/v1/jobs/x", TestContext.Current.CancellationToken);
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", "s3cret");
        using var with = await http.GetAsync("/v1/jobs/x", TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.Unauthorized, without.StatusCode);
        Assert.Contains("Authorization: Bearer", await without.Content.ReadAsStringAsync(TestContext.Current.CancellationToken), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.NotFound, with.StatusCode);
    }

    [Fact(Timeout = 60_000)]
    public async Task Samples_TableOutsideTheRoot_403_NothingRead()
    {
        using var outside = new Tlc.Testing.TempRoot("elsewhere");
        using var table = await Tables.Table.FromDictAsync(new Dictionary<string, IEnumerable> { ["x"] = new long[] { 1, 2 } },
            new ImportOptions { Project = "p", Dataset = "d", Table = "t", Root = outside.Url, Settings = outside.Settings });

        var refused = await PostAsync("/v1/tables/samples", new Dictionary<string, object> { ["table"] = table.Url.Value, ["columns"] = new[] { "x" } }, HttpStatusCode.Forbidden);

        Assert.Contains("not under this API's root", (string)refused["error"]!, StringComparison.Ordinal);
    }
}
