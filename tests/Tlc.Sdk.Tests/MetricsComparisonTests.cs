using System.Collections;
using Tlc.Schemas;
using Tlc.Tables;
using Tlc.Tables.Import;
using Tlc.Tables.Querying;

namespace Tlc.Sdk.Tests;

/// <summary>Two metrics tables of a run compared per sample: names, B's values by example_id, deltas, nulls, queries, errors.</summary>
public sealed class MetricsComparisonTests(EmbeddedClusterFixture fixture) : IClassFixture<EmbeddedClusterFixture>
{
    private const int Rows = 40;

    private static float LossA(long id) => id / (float)Rows;

    private static float LossB(long id) => (id * 7 % Rows) / (float)Rows;

    private Task<Table> InputAsync(string name) => Table.FromDictAsync(new Dictionary<string, IEnumerable>
    {
        ["name"] = Enumerable.Range(0, Rows).Select(i => $"row{i}").ToArray(),
    }, new ImportOptions { Project = "compare", Dataset = "d", Table = name, Root = fixture.Root.Url, Settings = fixture.Root.Settings, IfExists = IfExists.Overwrite });

    /// <summary>A metrics table of <paramref name="run"/> at <paramref name="epoch"/> with the loss of each of <paramref name="ids"/> (in that order).</summary>
    private static async Task<Table> MetricsAsync(Run run, Table input, int epoch, long[] ids, Func<long, float> loss)
    {
        await using var writer = await run.CreateMetricsWriterAsync(input, new TableSchema { ["loss"] = new Float32Schema(), ["predicted"] = new CategoricalLabelSchema(["no", "yes"]) },
            "val", new Dictionary<string, object?> { ["epoch"] = epoch }, null, TestContext.Current.CancellationToken);
        await writer.AddBatchAsync(new Dictionary<string, IList>
        {
            ["example_id"] = ids, ["loss"] = ids.Select(loss).ToArray(), ["predicted"] = ids.Select(i => (int)(i % 2)).ToArray(),
        }, TestContext.Current.CancellationToken);
        return await writer.PublishAsync(TestContext.Current.CancellationToken);
    }

    [Fact(Timeout = 60_000)]
    public async Task Of_TwoEpochsBCoveringEvenIdsReversed_BValuesByExampleIdDeltaBMinusANullsElsewhere_QueriesRunOverThem()
    {
        using var input = await InputAsync("input");
        await using var run = await Runs.InitAsync(fixture.Context, "compare", "epochs", ifExists: RunIfExists.Overwrite);
        using var a = await MetricsAsync(run, input, 1, [.. Enumerable.Range(0, Rows).Select(i => (long)i)], LossA);
        using var b = await MetricsAsync(run, input, 2, [.. Enumerable.Range(0, Rows).Where(i => i % 2 == 0).Reverse().Select(i => (long)i)], LossB);

        var comparison = MetricsComparison.Of(a, b);

        Assert.Equal(["example_id", "loss", "predicted", "epoch", "b.loss", "b.predicted", "b.epoch", "delta.loss"], comparison.Schema.Names);
        Assert.Equal((ComparedSide.Delta, "loss"), comparison.Source("delta.loss"));
        Assert.Equal("float64", comparison.Schema["delta.loss"].Type);
        var deltas = comparison.ReadColumn("delta.loss");
        for (long row = 0; row < Rows; row++)
        {
            var id = (long)comparison.GetValue("example_id", row)!;
            double? expected = id % 2 == 0 ? (double)LossB(id) - LossA(id) : null;
            Assert.Equal(expected, (double?)comparison.GetValue("delta.loss", row));
            Assert.Equal(expected, (double?)deltas[row]);
            Assert.Equal(id % 2 == 0 ? LossB(id) : null, (float?)comparison.GetValue("b.loss", row));
            Assert.Equal(id % 2 == 0 ? 2 : null, (int?)comparison.GetValue("b.epoch", row));
            Assert.Equal(id % 2 == 0 ? id : null, comparison.BRow(row) is { } found ? (long?)b.GetValue("example_id", found) : null);
        }
        var worse = RowQueries.Run(comparison, new RowQuery { Filters = [ColumnPredicate.Parse("delta.loss>0")], SortBy = "delta.loss", Descending = true });
        var expectedWorse = Enumerable.Range(0, Rows).Where(i => i % 2 == 0 && LossB(i) > LossA(i)).OrderByDescending(i => (double)LossB(i) - LossA(i)).ThenBy(i => i).Select(i => (long)i);
        Assert.Equal(expectedWorse, worse.Rows);
        Assert.Equal(Rows / 2, RowQueries.Histogram(comparison, "delta.loss", 5).Nulls);
        Assert.Throws<KeyNotFoundException>(() => comparison.GetValue("delta.predicted", 0));
    }

    [Fact(Timeout = 60_000)]
    public async Task Of_JoinedToInput_InputColumnsBesideDeltas()
    {
        using var input = await InputAsync("joined");
        await using var run = await Runs.InitAsync(fixture.Context, "compare", "joined", ifExists: RunIfExists.Overwrite);
        var ids = Enumerable.Range(0, Rows).Select(i => (long)i).ToArray();
        using var a = await MetricsAsync(run, input, 0, ids, LossA);
        using var b = await MetricsAsync(run, input, 3, ids, LossB);

        var comparison = MetricsComparison.Of(MetricsJoin.Of(a, input), b);

        Assert.Contains("name", comparison.Schema.Names);
        var page = RowQueries.Run(comparison, new RowQuery { Filters = [ColumnPredicate.Parse("name~row1")], SortBy = "delta.loss", Descending = true, Limit = 1 });
        var top = Enumerable.Range(0, Rows).Where(i => $"row{i}".Contains("row1", StringComparison.Ordinal)).OrderByDescending(i => (double)LossB(i) - LossA(i)).ThenBy(i => i).First();
        Assert.Equal($"row{top}", comparison.GetValue("name", page.Rows[0]));
        Assert.Equal((double)LossB(top) - LossA(top), (double)comparison.GetValue("delta.loss", page.Rows[0])!);
    }

    [Fact(Timeout = 60_000)]
    public async Task Of_OtherInputOrNoMetricsTable_ArgumentExceptionNamingBoth()
    {
        using var input = await InputAsync("one");
        using var other = await InputAsync("two");
        await using var run = await Runs.InitAsync(fixture.Context, "compare", "inputs", ifExists: RunIfExists.Overwrite);
        var ids = Enumerable.Range(0, Rows).Select(i => (long)i).ToArray();
        using var a = await MetricsAsync(run, input, 0, ids, LossA);
        using var b = await MetricsAsync(run, other, 0, ids, LossB);

        var different = Assert.Throws<ArgumentException>(() => MetricsComparison.Of(a, b));
        var plain = Assert.Throws<ArgumentException>(() => MetricsComparison.Of(a, input));

        Assert.Contains(input.Url.Value, different.Message, StringComparison.Ordinal);
        Assert.Contains(other.Url.Value, different.Message, StringComparison.Ordinal);
        Assert.Contains($"{input.Url} (B) is not a metrics table", plain.Message, StringComparison.Ordinal);
    }
}
