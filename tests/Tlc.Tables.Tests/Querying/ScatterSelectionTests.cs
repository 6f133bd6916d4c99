using Apache.Arrow;
using Tlc.Schemas;
using Tlc.Tables.Querying;
using Tlc.Tables.Storage;
using Tlc.Testing;

namespace Tlc.Tables.Tests.Querying;

/// <summary>
/// What the dashboard's scatter reads and selects: whole columns of the matching rows as one Arrow batch, and a polygon
/// over a 2-D embedding column as a filter (parsed as the page writes it, recorded in lineage, applied by every query).
/// </summary>
public sealed class ScatterSelectionTests : IAsyncLifetime
{
    private const int Rows = 2_000;
    private readonly TempRoot _root = new("scatter");
    private Table _table = null!;

    /// <summary>Row i's point: a spiral, so polygons cut it irregularly; every 50th row has no point.</summary>
    private static float[]? Point(int i) => i % 50 == 49 ? null : [(float)(i / 200.0 * Math.Cos(i / 30.0)), (float)(i / 200.0 * Math.Sin(i / 30.0))];

    public async ValueTask InitializeAsync()
    {
        var schema = new TableSchema
        {
            ["label"] = new CategoricalLabelSchema(["cat", "dog", "bird"]),
            ["loss"] = new Float32Schema(),
            ["score"] = new Float64Schema(),
            ["example_id"] = new Int64Schema(),
            ["emb_pca"] = new EmbeddingSchema(2) { Nullable = true },
            ["name"] = new StringSchema(),
        };
        await using var writer = await TableWriter.CreateAsync(new TableWriterOptions
        {
            Schema = schema, Project = "q", Dataset = "d", Table = "t", Root = _root.Url, Settings = _root.Settings, BatchRows = 128, ChunkRows = 500,
        });
        for (var i = 0; i < Rows; i++)
        {
            writer.AddRow(new Dictionary<string, object?>
            {
                ["label"] = i % 3, ["loss"] = i / 100f, ["score"] = i * 0.5, ["example_id"] = (long)i, ["emb_pca"] = Point(i), ["name"] = $"s{i}",
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
    public void Parse_Inside_ReadsTheVerticesAndMatchesThePointsInsideOnly()
    {
        var predicate = ColumnPredicate.Parse("emb_pca inside -2 -1, 3 -1.5, 4 5, -1 2.5");
        (double, double)[] polygon = [(-2, -1), (3, -1.5), (4, 5), (-1, 2.5)];

        Assert.Equal(PredicateOperator.Inside, predicate.Operator);
        Assert.Equal("emb_pca", predicate.Column);
        var page = RowQueries.Run(_table, new RowQuery { Filters = [predicate], Limit = Rows });
        var expected = Enumerable.Range(0, Rows).Where(i => Point(i) is { } p && PolygonTest.Inside(polygon, p[0], p[1])).Select(i => (long)i).ToList();
        Assert.InRange(expected.Count, 100, Rows - 100); // the polygon cuts the spiral
        Assert.Equal(expected, page.Rows);
    }

    [Fact]
    public void Parse_InsideWithAConcaveLasso_EvenOddRule()
    {
        // A "U": its notch between x 1..2 is outside.
        (double X, double Y)[] lasso = [(0, 0), (3, 0), (3, 3), (2, 3), (2, 1), (1, 1), (1, 3), (0, 3)];
        var predicate = ColumnPredicate.Inside("emb_pca", lasso);
        var text = $"emb_pca inside {string.Join(", ", lasso.Select(p => $"{p.X} {p.Y}"))}";

        Assert.Equal(predicate.Values, ColumnPredicate.Parse(text).Values);
        var rows = RowQueries.MatchingRows(_table, [predicate]);
        Assert.Equal(Enumerable.Range(0, Rows).Where(i => Point(i) is { } p && PolygonTest.Inside(lasso, p[0], p[1])).Select(i => (long)i), rows);
        Assert.DoesNotContain(rows, r => Point((int)r) is { } p && p[0] > 1 && p[0] < 2 && p[1] > 1);
    }

    [Theory]
    [InlineData("emb_pca inside 0 0, 1 1", "at least 3 finite vertices")]
    [InlineData("emb_pca inside 0 0, 1 1, x 2", "vertex 'x 2'")]
    [InlineData("emb_pca inside 0 0, 1, 2 2", "vertex '1'")]
    public void Parse_InsideBadPolygon_ErrorNamesTheProblem(string text, string expected)
    {
        var error = Assert.ThrowsAny<Exception>(() => ColumnPredicate.Parse(text));
        Assert.True(error is FormatException or ArgumentException, error.GetType().Name);
        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task FilterAsync_Inside_RecordedInLineageAndTheRowsKept()
    {
        var predicate = ColumnPredicate.Parse("emb_pca inside 0 0, 5 0, 5 5, 0 5");
        using var filtered = await _table.FilterAsync([predicate], new DerivedTableOptions { Name = "selected" }, TestContext.Current.CancellationToken);

        Assert.Contains("Inside", filtered.Object.Lineage.Details!.ToJsonString(), StringComparison.Ordinal);
        Assert.Equal(Enumerable.Range(0, Rows).Count(i => Point(i) is { } p && PolygonTest.Inside([(0, 0), (5, 0), (5, 5), (0, 5)], p[0], p[1])), filtered.RowCount);
    }

    [Fact]
    public void Read_NumbersLabelsAndEmbedding_OneBatchOfTypedColumnsWithNulls()
    {
        using var batch = ColumnBatches.Read(_table, ["emb_pca", "label", "loss", "score", "example_id"], [ColumnPredicate.Parse("loss>=10")]);

        Assert.Equal(Rows - 1000, batch.Length);
        var row = (Int32Array)batch.Column(ColumnBatches.RowColumn);
        Assert.Equal(1000, row.Values[0]);
        var embedding = (FixedSizeListArray)batch.Column("emb_pca");
        var values = (FloatArray)embedding.Values;
        for (var i = 0; i < batch.Length; i++)
        {
            var expected = Point(1000 + i);
            Assert.Equal(expected is null, embedding.IsNull(i));
            if (expected is not null)
            {
                Assert.Equal(expected, values.Values.Slice(2 * i, 2).ToArray());
            }
        }
        Assert.Equal(2, ((Int32Array)batch.Column("label")).Values[1001 - 1000]);
        Assert.Equal(10.01f, ((FloatArray)batch.Column("loss")).Values[1]);
        Assert.Equal(500.5, ((DoubleArray)batch.Column("score")).Values[1]);
        Assert.Equal(1001.0, ((DoubleArray)batch.Column("example_id")).Values[1]);
    }

    [Fact]
    public void Read_StringColumn_ErrorNamesTheColumn()
    {
        var error = Assert.Throws<ArgumentException>(() => ColumnBatches.Read(_table, ["name"]));
        Assert.Contains("'name'", error.Message, StringComparison.Ordinal);
        Assert.Throws<KeyNotFoundException>(() => ColumnBatches.Read(_table, ["nope"]));
    }
}
