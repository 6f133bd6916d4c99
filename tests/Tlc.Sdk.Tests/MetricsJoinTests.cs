using System.Collections;
using Tlc.Schemas;
using Tlc.Tables;
using Tlc.Tables.Import;
using Tlc.Tables.Querying;

namespace Tlc.Sdk.Tests;

/// <summary>A metrics table side by side with its input rows: names, values and queries over both.</summary>
public sealed class MetricsJoinTests(EmbeddedClusterFixture fixture) : IClassFixture<EmbeddedClusterFixture>
{
    [Fact(Timeout = 60_000)]
    public async Task Join_ColumnInBoth_InputOneRenamed_ValuesFromTheirTables_QueriesRunOverBoth()
    {
        using var input = await Table.FromDictAsync(new Dictionary<string, IEnumerable>
        {
            ["name"] = Enumerable.Range(0, 40).Select(i => $"row{i}").ToArray(),
        }, new ImportOptions { Project = "join", Dataset = "d", Table = "input", Root = fixture.Root.Url, Settings = fixture.Root.Settings, IfExists = IfExists.Overwrite });
        await using var run = await Runs.InitAsync(fixture.Context, "join", "r", ifExists: RunIfExists.Overwrite);
        Table metrics;
        await using (var writer = await run.CreateMetricsWriterAsync(input, new TableSchema { ["weight"] = new Float32Schema(), ["loss"] = new Float32Schema() }, "train",
            null, new MetricsWriterOptions { RequireFullCoverage = true }, TestContext.Current.CancellationToken))
        {
            // Written in reverse: the join follows example_id, not row order.
            var ids = Enumerable.Range(0, 40).Reverse().Select(i => (long)i).ToArray();
            await writer.AddBatchAsync(new Dictionary<string, IList>
            {
                ["example_id"] = ids, ["weight"] = ids.Select(i => 2f).ToArray(), ["loss"] = ids.Select(i => i / 40f).ToArray(),
            }, TestContext.Current.CancellationToken);
            metrics = await writer.PublishAsync(TestContext.Current.CancellationToken);
        }
        using var _ = metrics;

        var join = await MetricsJoin.OpenAsync(metrics, TestContext.Current.CancellationToken);
        using var __ = join.Input;

        Assert.Equal(["example_id", "weight", "loss", "name", "input.weight"], join.Schema.Names);
        Assert.Equal((true, "weight"), join.Source("input.weight"));
        for (long row = 0; row < join.RowCount; row++)
        {
            var id = join.InputRow(row);
            Assert.Equal($"row{id}", join.GetValue("name", row));
            Assert.Equal(id / 40f, join.GetValue("loss", row));
            Assert.Equal(2f, join.GetValue("weight", row));
            Assert.Equal(1f, join.GetValue("input.weight", row));
        }
        var page = RowQueries.Run(join, new RowQuery { Filters = [ColumnPredicate.Parse("name~row3")], SortBy = "loss", Descending = true });
        Assert.Equal(["row39", "row38", "row37"], page.Rows.Take(3).Select(r => (string)join.GetValue("name", r)!));
        Assert.Throws<KeyNotFoundException>(() => join.GetValue("nope", 0));
    }
}
