using System.Text.Json;
using Tlc.Cluster;
using Tlc.Tables.Urls;
using Tlc.Testing;
using Tlc.Testing.Cluster.Kernel;

namespace Tlc.Sdk.Tests;

/// <summary>
/// A run's outputs (models, exports, files): recorded through <see cref="Run.AddOutputAsync"/>, kept in the run's grain state
/// across a reopened run and a restarted silo, written to the run's snapshot; bad outputs are refused with the problem named.
/// </summary>
public sealed class RunOutputTests : IAsyncLifetime
{
    private readonly TempRoot _root = new("run-outputs");
    private KernelSilo? _silo;

    private KernelSilo Silo => _silo ?? throw new InvalidOperationException("Not started.");

    private ClusterContext Context() => new(Silo.Client, new UrlAdapterRegistry(), _root.Url, new WorkerRef("client", "1"), TimeProvider.System);

    public async ValueTask InitializeAsync() => _silo = await KernelSilo.StartAsync(Path.Combine(_root.Path, "state"));

    public async ValueTask DisposeAsync()
    {
        if (_silo is not null)
        {
            await _silo.DisposeAsync();
        }
        _root.Dispose();
    }

    [Fact(Timeout = 60_000)]
    public async Task AddOutputAsync_ModelAndExport_SurviveReopenAndSiloRestart_AndReachTheSnapshot()
    {
        var ct = TestContext.Current.CancellationToken;
        var model = _root.File("models/best.pt");
        await File.WriteAllBytesAsync(model, new byte[777], ct);
        RunOutput first, second;
        await using (var run = await Runs.InitAsync(Context(), "p", "train", cancellationToken: ct))
        {
            first = await run.AddOutputAsync(model, RunOutputKinds.Model, description: "lowest val loss", cancellationToken: ct);
            second = await run.AddOutputAsync("s3://bucket/export/coco.json", RunOutputKinds.Export, name: "coco", size: 4096, cancellationToken: ct);
            Assert.Equal([first, second], await run.GetOutputsAsync(ct));
            await run.CompleteAsync(ct);
        }

        Assert.Equal(new RunOutput("best.pt", Url.FromLocalPath(model).Value, "model", "lowest val loss", 777, first.Created), first);
        Assert.Equal(new RunOutput("coco", "s3://bucket/export/coco.json", "export", null, 4096, second.Created), second);
        Assert.True(DateTimeOffset.UtcNow - first.Created < TimeSpan.FromMinutes(1));

        // Reopened (3LC's reuse) and after the silo restarted: the grain reads its state back from storage.
        await using (var reopened = await Runs.InitAsync(Context(), "p", "train", ifExists: RunIfExists.Reuse, cancellationToken: ct))
        {
            Assert.Equal([first, second], await reopened.GetOutputsAsync(ct));
        }
        await Silo.RestartAsync(ct);
        var info = await Context().RunGrain("p", "train").GetAsync();
        Assert.Equal([first, second], info.Outputs);

        using var snapshot = JsonDocument.Parse(await File.ReadAllBytesAsync(Path.Combine(_root.Path, "projects/p/runs/train/object.tlc.json"), ct));
        var outputs = snapshot.RootElement.GetProperty("outputs").EnumerateArray().ToList();
        Assert.Equal(["best.pt", "coco"], outputs.Select(o => o.GetProperty("name").GetString()));
        Assert.Equal(["name", "url", "kind", "description", "size", "created"], outputs[0].EnumerateObject().Select(p => p.Name));
        Assert.Equal(777, outputs[0].GetProperty("size").GetInt64());
        Assert.Equal("export", outputs[1].GetProperty("kind").GetString());
    }

    [Fact(Timeout = 60_000)]
    public async Task AddOutputAsync_SameName_RefusedUnlessReplace_ReplaceKeepsItsPlace_SameOutputAgainIsNoChange()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var run = await Runs.InitAsync(Context(), "p", "dupes", cancellationToken: ct);
        var a = await run.AddOutputAsync("s3://b/a.pt", RunOutputKinds.Model, cancellationToken: ct);
        var b = await run.AddOutputAsync("s3://b/b.pt", RunOutputKinds.Model, cancellationToken: ct);

        var e = await Assert.ThrowsAsync<InvalidOperationException>(() => run.AddOutputAsync("s3://other/a.pt", RunOutputKinds.Model, cancellationToken: ct));
        var replaced = await run.AddOutputAsync("s3://other/a.pt", RunOutputKinds.Model, description: "retrained", replace: true, cancellationToken: ct);
        await Context().RunGrain("p", "dupes").AddOutputAsync(b, replace: false);

        Assert.Contains("already has an output named 'a.pt' (s3://b/a.pt)", e.Message, StringComparison.Ordinal);
        Assert.Equal([replaced, b], await run.GetOutputsAsync(ct));
        Assert.Equal("s3://other/a.pt", (await run.GetOutputsAsync(ct))[0].Url);
        Assert.NotEqual(a, replaced);
    }

    public static TheoryData<string, string, string?, long?, string> BadOutputs => new()
    {
        { "", "model", null, null, "an output needs a URL" },
        { "   ", "model", null, null, "an output needs a URL" },
        { "s3://b/m.pt", "", null, null, "the kind must be one word such as model, export or file (got '')" },
        { "s3://b/m.pt", "trained model", null, null, "the kind must be one word such as model, export or file (got 'trained model')" },
        { "s3://b/m.pt", "model", "", null, "an output needs a name" },
        { "s3://b/m.pt", "model", null, -1L, "output 'm.pt': the size -1 is negative" },
    };

    [Theory(Timeout = 60_000)]
    [MemberData(nameof(BadOutputs))]
    public async Task AddOutputAsync_BadOutput_ArgumentExceptionNamingTheProblem_NothingRecorded(string url, string kind, string? name, long? size, string problem)
    {
        var ct = TestContext.Current.CancellationToken;
        await using var run = await Runs.InitAsync(Context(), "p", "bad", cancellationToken: ct);

        var e = await Assert.ThrowsAnyAsync<ArgumentException>(() => run.AddOutputAsync(url, kind, name, size: size, cancellationToken: ct));

        Assert.Contains("Run p/bad", e.Message, StringComparison.Ordinal);
        Assert.Contains(problem, e.Message, StringComparison.Ordinal);
        Assert.Empty(await run.GetOutputsAsync(ct));
    }

    [Fact(Timeout = 60_000)]
    public async Task AddOutputAsync_GrainRefusesABadOutputToo()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var run = await Runs.InitAsync(Context(), "p", "direct", cancellationToken: ct);

        var e = await Assert.ThrowsAsync<ArgumentException>(() =>
            Context().RunGrain("p", "direct").AddOutputAsync(new RunOutput("m", "", "model", null, null, DateTimeOffset.UtcNow), replace: false));

        Assert.Contains("output 'm' needs a URL", e.Message, StringComparison.Ordinal);
    }
}
