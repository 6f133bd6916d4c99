using Tlc.Schemas;
using Tlc.Tables.Querying;
using Tlc.Tables.Storage;
using Tlc.Testing;

namespace Tlc.Tables.Tests.Querying;

/// <summary>Server-side paging, sorting, filtering, histograms and value counts over a real table (what the dashboard's grid and charts ask).</summary>
public sealed class RowQueriesTests : IAsyncLifetime
{
    private readonly TempRoot _root = new("query");
    private Table _table = null!;

    public async ValueTask InitializeAsync()
    {
        var schema = new TableSchema
        {
            ["label"] = new CategoricalLabelSchema(["cat", "dog", "bird"]),
            ["loss"] = new Float32Schema { Nullable = true },
            ["name"] = new StringSchema(),
        };
        await using var writer = await TableWriter.CreateAsync(new TableWriterOptions
        {
            Schema = schema, Project = "q", Dataset = "d", Table = "t", Root = _root.Url, Settings = _root.Settings, BatchRows = 64, ChunkRows = 200,
        });
        for (var i = 0; i < 1000; i++)
        {
            writer.AddRow(new Dictionary<string, object?>
            {
                ["label"] = i % 3,
                ["loss"] = i % 10 == 9 ? null : (float)((i * 37) % 1000) / 100f,
                ["name"] = i == 500 ? "<img src=x onerror=alert(1)>" : $"sample {i}",
            });
        }
        _table = await writer.FinalizeAsync();
    }

    public ValueTask DisposeAsync()
    {
        _table.Dispose();
        _root.Dispose();
        return ValueTask.CompletedTask;
    }

    [Fact]
    public void Run_NoFiltersNoSort_PagesInTableOrder()
    {
        var page = RowQueries.Run(_table, new RowQuery { Offset = 990, Limit = 20 });

        Assert.Equal(1000, page.Matched);
        Assert.Equal(Enumerable.Range(990, 10).Select(i => (long)i), page.Rows);
    }

    [Fact]
    public void Run_FilterByClassNameAndRange_SortedDescending_EveryRowMatchesInOrder()
    {
        var query = new RowQuery
        {
            Filters = [ColumnPredicate.Parse("label==dog"), ColumnPredicate.Parse("loss>=5")],
            SortBy = "loss",
            Descending = true,
            Limit = 1000,
        };

        var page = RowQueries.Run(_table, query);

        var expected = Enumerable.Range(0, 1000).Where(i => i % 3 == 1 && i % 10 != 9 && (i * 37) % 1000 / 100f >= 5)
            .OrderByDescending(i => (i * 37) % 1000).ThenBy(i => i).Select(i => (long)i).ToList();
        Assert.Equal(expected.Count, page.Matched);
        Assert.Equal(expected, page.Rows);
    }

    [Fact]
    public void Run_SortWithNulls_NullsFirstAscendingAndTiesKeepTableOrder()
    {
        var page = RowQueries.Run(_table, new RowQuery { SortBy = "loss", Limit = 101 });

        Assert.Equal(Enumerable.Range(0, 100).Select(i => (long)(i * 10 + 9)), page.Rows.Take(100));
        Assert.NotNull(_table.GetValue("loss", page.Rows[100]));
    }

    [Fact]
    public void Run_ContainsFilter_StringsComparedAsText()
    {
        var page = RowQueries.Run(_table, new RowQuery { Filters = [ColumnPredicate.Parse("name~onerror")] });

        Assert.Equal([500L], page.Rows);
    }

    [Fact]
    public void Run_UnknownColumn_ClearErrorNamingColumnAndTheColumnsThereAre()
    {
        var error = Assert.Throws<KeyNotFoundException>(() => RowQueries.Run(_table, new RowQuery { SortBy = "los" }));

        Assert.Contains("'los'", error.Message, StringComparison.Ordinal);
        Assert.Contains("loss", error.Message, StringComparison.Ordinal);
        Assert.Throws<KeyNotFoundException>(() => RowQueries.Run(_table, new RowQuery { Filters = [ColumnPredicate.Parse("nope==1")] }));
    }

    [Fact]
    public void Histogram_FilteredRows_CountsEveryValueOnceNullsApart()
    {
        var histogram = RowQueries.Histogram(_table, "loss", 10, [ColumnPredicate.Parse("label==cat")]);

        var cats = Enumerable.Range(0, 1000).Where(i => i % 3 == 0).ToList();
        Assert.Equal(cats.Count(i => i % 10 == 9), histogram.Nulls);
        Assert.Equal(cats.Count(i => i % 10 != 9), histogram.Counts.Sum());
        Assert.Equal(cats.Where(i => i % 10 != 9).Min(i => (i * 37) % 1000 / 100f), histogram.Min, 5);
        Assert.Equal(cats.Where(i => i % 10 != 9).Max(i => (i * 37) % 1000 / 100f), histogram.Max, 5);
    }

    [Fact]
    public void Histogram_TextColumn_ClearError()
    {
        var error = Assert.Throws<ArgumentException>(() => RowQueries.Histogram(_table, "name", 10));

        Assert.Contains("'name' is not numeric", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ValueCounts_Label_OnePerClassMostFrequentFirst()
    {
        var counts = RowQueries.ValueCounts(_table, "label");

        Assert.Equal([(0, 334L), (1, 333L), (2, 333L)], counts.Select(c => ((int)c.Value!, c.Count)));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Run_SortByNullableNumbersWithTies_NullsFirstAscendingLastDescending_TiesInTableOrder(bool descending)
    {
        var page = RowQueries.Run(_table, new RowQuery { SortBy = "loss", Descending = descending, Limit = 1000 });

        var losses = Enumerable.Range(0, 1000).Select(i => (Row: (long)i, Loss: (float?)_table.GetValue("loss", i))).ToList();
        var nulls = losses.Where(l => l.Loss is null).Select(l => l.Row);
        var numbers = losses.Where(l => l.Loss is not null);
        var sorted = (descending ? numbers.OrderByDescending(l => l.Loss) : numbers.OrderBy(l => l.Loss)).ThenBy(l => l.Row).Select(l => l.Row);
        Assert.Equal(descending ? sorted.Concat(nulls) : nulls.Concat(sorted), page.Rows);

        // Labels: three values, each a tie of a third of the rows, kept in table order either way.
        var labels = RowQueries.Run(_table, new RowQuery { SortBy = "label", Descending = descending, Limit = 1000 });
        var byLabel = Enumerable.Range(0, 1000).Select(i => (Row: (long)i, Label: (int)_table.GetValue("label", i)!));
        Assert.Equal((descending ? byLabel.OrderByDescending(l => l.Label) : byLabel.OrderBy(l => l.Label)).ThenBy(l => l.Row).Select(l => l.Row), labels.Rows);
    }
}
