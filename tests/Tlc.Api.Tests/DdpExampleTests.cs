using System.Diagnostics;
using Tlc.Testing;

namespace Tlc.Api.Tests;

/// <summary>
/// The DDP example as a user runs it (examples/ddp/run.sh): real PyTorch rank processes (gloo, CPU) training on Fashion-MNIST
/// read through the training API, one rank killed mid-epoch and the group restarted from its checkpoint; every table of
/// the run holds each example_id once, and the last epoch's merged evaluation equals a one-process evaluation of the same
/// weights row by row.
/// </summary>
public sealed class DdpExampleTests : IDisposable
{
    private readonly TempRoot _root = new("ddp");

    public void Dispose() => _root.Dispose();

    [Theory(Timeout = 900_000)]
    [InlineData(2)]
    [InlineData(3)]
    public async Task Ranks_OneKilledMidEpochAndTheGroupRestarted_EveryTableEachIdOnce_EvalEqualsOneProcess(int ranks)
    {
        if (!File.Exists("/usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz"))
        {
            Assert.Fail("Fashion-MNIST is not installed (tests/fixtures/prepare.sh installs dataset-fashion-mnist).");
        }
        var script = Path.Combine(Fixtures.RepositoryRoot, "examples", "ddp", "run.sh");
        var start = new ProcessStartInfo(script, ["--ranks", ranks.ToString(System.Globalization.CultureInfo.InvariantCulture), "--root", _root.Path,
            "--run", "ddp/fashion", "--epochs", "2", "--train-rows", "3000", "--kill-rank", (ranks - 1).ToString(System.Globalization.CultureInfo.InvariantCulture), "--kill-epoch", "1"])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync(TestContext.Current.CancellationToken);
        var errors = process.StandardError.ReadToEndAsync(TestContext.Current.CancellationToken);
        await process.WaitForExitAsync(TestContext.Current.CancellationToken);
        var text = await output;
        Assert.True(process.ExitCode == 0, $"run.sh failed ({process.ExitCode}): {text}\n{await errors}");

        Assert.Contains("a rank died: restarting the group", text, StringComparison.Ordinal);
        var tables = text.Split('\n').Select(l => l.Split(' ')).Where(p => p.Length == 3 && p[0].StartsWith("file://", StringComparison.Ordinal))
            .Select(p => (Url: p[0], Stream: p[1], Rows: long.Parse(p[2], System.Globalization.CultureInfo.InvariantCulture))).ToList();
        Assert.Equal(["eval", "eval", "eval", "train", "train"], tables.Select(t => t.Stream).Order());
        foreach (var (url, stream, rows) in tables)
        {
            using var table = await Tables.Table.OpenAsync(new Url(url), cancellationToken: TestContext.Current.CancellationToken);
            var ids = Ids(table);
            Assert.Equal(stream == "train" ? 3000 : 10_000, rows);
            Assert.Equal(Enumerable.Range(0, (int)rows).Select(i => (long)i), ids.Order());
        }
        var merged = tables.Where(t => t.Stream == "eval" && t.Url.Contains("/runs/fashion/", StringComparison.Ordinal)).Select(t => t.Url).Single(u => u.Contains("eval-e1-", StringComparison.Ordinal));
        var single = tables.Single(t => t.Url.Contains("/runs/fashion-single/", StringComparison.Ordinal)).Url;
        using var ranked = await Tables.Table.OpenAsync(new Url(merged), cancellationToken: TestContext.Current.CancellationToken);
        using var alone = await Tables.Table.OpenAsync(new Url(single), cancellationToken: TestContext.Current.CancellationToken);
        var byId = Rows(alone);
        foreach (var (id, predicted, loss) in Rows(ranked).Values)
        {
            Assert.Equal(byId[id].Predicted, predicted);
            Assert.Equal(byId[id].Loss, loss, 1e-4);
        }
    }

    private static long[] Ids(Tables.Table table) => [.. Enumerable.Range(0, (int)table.RowCount).Select(r => (long)table.Rows[r]["example_id"]!)];

    private static Dictionary<long, (long Id, int Predicted, float Loss)> Rows(Tables.Table table) =>
        Enumerable.Range(0, (int)table.RowCount).Select(r => table.Rows[r])
            .Select(row => ((long)row["example_id"]!, (int)row["predicted"]!, (float)row["loss"]!))
            .ToDictionary(t => t.Item1, t => t);
}
