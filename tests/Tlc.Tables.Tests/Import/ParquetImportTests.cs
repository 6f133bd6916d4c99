using Apache.Arrow;
using Apache.Arrow.Types;
using Parquet;
using Tlc.Schemas;
using Tlc.Tables.Arrow;
using Tlc.Tables.Import;
using Tlc.Testing;

namespace Tlc.Tables.Tests.Import;

public sealed class ParquetImportTests : IDisposable
{
    private readonly TempRoot _root = new("parquet");

    public void Dispose() => _root.Dispose();

    private ParquetImportOptions Options(string table = "t", IReadOnlyDictionary<string, ColumnSchema>? schema = null,
        IReadOnlyList<string>? columns = null, IfExists ifExists = IfExists.Raise) => new()
    {
        Project = "p",
        Dataset = "d",
        Table = table,
        Root = _root.Url,
        Settings = _root.Settings,
        IfExists = ifExists,
        Schema = schema,
        Columns = columns,
    };

    [Fact(Timeout = 120_000)]
    public async Task FromParquet_Flights3m_AllRowsAndSumsMatchIndependentReader()
    {
        var path = Fixtures.Flights3mParquet;

        using var table = await Table.FromParquetAsync(path, Options(), TestContext.Current.CancellationToken);

        Assert.Equal(3_000_000, table.RowCount);
        Assert.IsType<DateTimeSchema>(table.Schema["date"]);
        Assert.IsType<Int64Schema>(table.Schema["distance"]);
        Assert.IsType<StringSchema>(table.Schema["origin"]);
        var (expectedDistance, expectedDelay, expectedRows) = await SumWithParquetNet(path);
        Assert.Equal(expectedRows, table.RowCount);
        long distance = 0, delay = 0;
        foreach (var batch in table.ScanBatches(TestContext.Current.CancellationToken))
        {
            distance += Sum((Int64Array)batch.Column(table.Schema.IndexOf("distance")));
            delay += Sum((Int64Array)batch.Column(table.Schema.IndexOf("delay")));
        }
        Assert.Equal(expectedDistance, distance);
        Assert.Equal(expectedDelay, delay);
        Assert.False(string.IsNullOrEmpty((string?)table.Rows[2_999_999]["origin"]));
    }

    private static long Sum(Int64Array array)
    {
        long sum = 0;
        for (var i = 0; i < array.Length; i++)
        {
            sum += array.GetValue(i) ?? 0;
        }
        return sum;
    }

    /// <summary>The sums of 'distance' and 'delay' read with Parquet.Net, independently of the importer.</summary>
    private static async Task<(long Distance, long Delay, long Rows)> SumWithParquetNet(string path)
    {
        await using var reader = await ParquetReader.CreateAsync(path);
        var fields = reader.Schema.GetDataFields();
        var distanceField = fields.Single(f => f.Name == "distance");
        var delayField = fields.Single(f => f.Name == "delay");
        long distance = 0, delay = 0, rows = 0;
        for (var g = 0; g < reader.RowGroupCount; g++)
        {
            using var group = reader.OpenRowGroupReader(g);
            var values = new long?[group.RowCount];
            await group.ReadAsync<long>(distanceField, values.AsMemory());
            distance += values.Sum(v => v ?? 0);
            await group.ReadAsync<long>(delayField, values.AsMemory());
            delay += values.Sum(v => v ?? 0);
            rows += group.RowCount;
        }
        return (distance, delay, rows);
    }

    /// <summary>Writes a Parquet file of many Arrow types with ParquetSharp (Arrow schema stored).</summary>
    internal static string WriteTypedParquet(string path)
    {
        var ints = new Int32Array.Builder().Append(1).AppendNull().Append(3).Build();
        var doubles = new DoubleArray.Builder().Append(0.5).Append(1.5).Append(-2).Build();
        var floats = new FloatArray.Builder().Append(1f).Append(2f).Append(3f).Build();
        var bools = new BooleanArray.Builder().Append(true).Append(false).AppendNull().Build();
        var strings = new StringArray.Builder().Append("a").Append("bé").AppendNull().Build();
        var large = new LargeStringArray.Builder().Append("x").Append("yy").Append("zzz").Build();
        var millis = new TimestampType(TimeUnit.Millisecond, "UTC");
        var times = new TimestampArray.Builder(millis)
            .Append(new DateTimeOffset(2024, 1, 2, 3, 4, 5, 678, TimeSpan.Zero))
            .AppendNull()
            .Append(DateTimeOffset.UnixEpoch)
            .Build();
        var listBuilder = new ListArray.Builder(FloatType.Default);
        var items = (FloatArray.Builder)listBuilder.ValueBuilder;
        listBuilder.Append();
        items.Append(0.25f).Append(0.5f);
        listBuilder.Append();
        listBuilder.AppendNull();
        var lists = listBuilder.Build();
        var dictionaryType = new DictionaryType(Int32Type.Default, StringType.Default, false);
        var categories = new DictionaryArray(dictionaryType, new Int32Array.Builder().Append(1).Append(0).Append(1).Build(),
            new StringArray.Builder().Append("cat").Append("dog").Build());
        var structType = new StructType([new Field("w", Int64Type.Default, false), new Field("tag", StringType.Default, true)]);
        var structs = new StructArray(structType, 3,
            [new Int64Array.Builder().Append(10).Append(20).Append(30).Build(), new StringArray.Builder().Append("p").AppendNull().Append("r").Build()],
            ArrowBuffer.Empty, 0);
        var schema = new Apache.Arrow.Schema.Builder()
            .Field(new Field("i", Int32Type.Default, true))
            .Field(new Field("d", DoubleType.Default, false))
            .Field(new Field("f", FloatType.Default, false))
            .Field(new Field("b", BooleanType.Default, true))
            .Field(new Field("s", StringType.Default, true))
            .Field(new Field("ls", LargeStringType.Default, false))
            .Field(new Field("t", millis, true))
            .Field(new Field("l", lists.Data.DataType, true))
            .Field(new Field("c", dictionaryType, false))
            .Field(new Field("st", structType, false))
            .Build();
        var batch = new RecordBatch(schema, [ints, doubles, floats, bools, strings, large, times, lists, categories, structs], 3);
        using var arrowProperties = new ParquetSharp.Arrow.ArrowWriterPropertiesBuilder().StoreSchema().Build();
        using var writer = new ParquetSharp.Arrow.FileWriter(path, schema, arrowProperties: arrowProperties);
        writer.WriteRecordBatch(batch);
        writer.Close();
        return path;
    }

    [Fact]
    public async Task FromParquet_ManyArrowTypes_MapToTlcSchemasAndValues()
    {
        var path = WriteTypedParquet(_root.File("input/typed.parquet"));

        using var table = await Table.FromParquetAsync(path, Options());

        Assert.Equal(3, table.RowCount);
        Assert.IsType<Int32Schema>(table.Schema["i"]);
        Assert.True(table.Schema["i"].Nullable);
        Assert.IsType<Float64Schema>(table.Schema["d"]);
        Assert.IsType<Float32Schema>(table.Schema["f"]);
        Assert.IsType<BoolSchema>(table.Schema["b"]);
        Assert.IsType<StringSchema>(table.Schema["s"]);
        Assert.IsType<StringSchema>(table.Schema["ls"]);
        Assert.IsType<DateTimeSchema>(table.Schema["t"]);
        Assert.IsType<Float32Schema>(Assert.IsType<ListSchema>(table.Schema["l"]).Element);
        Assert.IsType<StringSchema>(table.Schema["c"]);
        Assert.IsType<StructSchema>(table.Schema["st"]);

        Assert.Equal([1, null, 3], table.Rows.Select(r => (int?)r["i"]));
        Assert.Equal([0.5, 1.5, -2], table.Rows.Select(r => (double)r["d"]!));
        Assert.Equal([true, false, null], table.Rows.Select(r => (bool?)r["b"]));
        Assert.Equal(["a", "bé", null], table.Rows.Select(r => (string?)r["s"]));
        Assert.Equal(["x", "yy", "zzz"], table.Rows.Select(r => (string)r["ls"]!));
        Assert.Equal(new DateTimeOffset(2024, 1, 2, 3, 4, 5, 678, TimeSpan.Zero), table.Rows[0]["t"]);
        Assert.Null(table.Rows[1]["t"]);
        Assert.Equal(DateTimeOffset.UnixEpoch, table.Rows[2]["t"]);
        Assert.Equal([0.25f, 0.5f], (float[])table.Rows[0]["l"]!);
        Assert.Empty((float[])table.Rows[1]["l"]!);
        Assert.Null(table.Rows[2]["l"]);
        Assert.Equal(["dog", "cat", "dog"], table.Rows.Select(r => (string)r["c"]!));
        var st = Assert.IsType<StructValue>(table.Rows[1]["st"]);
        Assert.Equal(20L, st["w"]);
        Assert.Null(st["tag"]);
        Assert.Equal("parquet", (string?)table.Object.Source!["format"]);
    }

    [Fact]
    public async Task FromParquet_OverridesAndColumns_ConvertValuesAndSelect()
    {
        var path = WriteTypedParquet(_root.File("input/typed.parquet"));
        var schema = new Dictionary<string, ColumnSchema>
        {
            ["c"] = new CategoricalLabelSchema(["cat", "dog"]),
            ["d"] = new Float32Schema(),
        };

        using var table = await Table.FromParquetAsync(path, Options(schema: schema, columns: ["c", "d", "ls"]));

        Assert.Equal(["c", "d", "ls", "weight"], table.Schema.Names);
        Assert.IsType<CategoricalLabelSchema>(table.Schema["c"]);
        Assert.Equal([1, 0, 1], table.Rows.Select(r => (int)r["c"]!));
        Assert.Equal([0.5f, 1.5f, -2f], table.Rows.Select(r => (float)r["d"]!));
    }

    [Fact(Timeout = 60_000)]
    public async Task FromParquet_HttpUrl_DownloadsAndImports()
    {
        WriteTypedParquet(_root.File("input/served.parquet"));
        await using var server = new LocalHttpServer(Path.Combine(_root.Path, "input"));

        using var table = await Table.FromParquetAsync(server.BaseUrl.Join("served.parquet").Value, Options(), TestContext.Current.CancellationToken);

        Assert.Equal(3, table.RowCount);
        Assert.Equal("zzz", table.Rows[2]["ls"]);
    }

    [Fact]
    public async Task FromParquet_Reuse_ReturnsExistingTableWithoutReadingInput()
    {
        var path = WriteTypedParquet(_root.File("input/reuse.parquet"));
        using var first = await Table.FromParquetAsync(path, Options(ifExists: IfExists.Reuse));
        File.WriteAllText(path, "no longer parquet");

        using var again = await Table.FromParquetAsync(path, Options(ifExists: IfExists.Reuse));

        Assert.Equal(first.Object.Id, again.Object.Id);
    }
}
