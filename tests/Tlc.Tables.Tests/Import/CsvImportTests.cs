using System.Globalization;
using System.Text;
using Tlc.Schemas;
using Tlc.Tables.Import;
using Tlc.Testing;

namespace Tlc.Tables.Tests.Import;

public sealed class CsvImportTests : IDisposable
{
    private readonly TempRoot _root = new("csv");

    public void Dispose() => _root.Dispose();

    private CsvImportOptions Options(string table = "t", IReadOnlyDictionary<string, ColumnSchema>? schema = null, char? separator = null,
        int? batchRows = null, int? chunkRows = null, IfExists ifExists = IfExists.Raise, IReadOnlyCollection<string>? nullValues = null,
        bool hasHeader = true, IReadOnlyList<string>? columns = null) => new()
    {
        HasHeader = hasHeader,
        ColumnNames = columns,
        Project = "p",
        Dataset = "d",
        Table = table,
        Root = _root.Url,
        Settings = _root.Settings,
        IfExists = ifExists,
        Schema = schema,
        Separator = separator,
        BatchRows = batchRows,
        ChunkRows = chunkRows,
        NullValues = nullValues,
    };

    private string Write(string name, string text)
    {
        var path = _root.File($"input/{name}");
        File.WriteAllText(path, text, new UTF8Encoding(false));
        return path;
    }

    [Fact]
    public async Task FromCsv_NoHeader_FirstRowIsARecord_ColumnsNamedColumnN()
    {
        // A header-less file of a header's shape used to fail with "duplicate column name".
        var path = Write("no-header.csv", "1,x,0.5\n2,x,1.5\n3,y,2.5\n");

        using var table = await Table.FromCsvAsync(path, Options(hasHeader: false));

        Assert.Equal(["column_1", "column_2", "column_3", "weight"], table.Schema.Names);
        Assert.Equal([1L, 2L, 3L], table.Rows.Select(r => (long)r["column_1"]!));
        Assert.Equal(["x", "x", "y"], table.Rows.Select(r => (string)r["column_2"]!));
        Assert.IsType<Float64Schema>(table.Schema["column_3"]);
    }

    [Fact]
    public async Task FromCsv_NoHeaderWithColumnNamesAndADeclaredType_NamesAndTypeUsed_BadRowNamesItsLine()
    {
        var path = Write("named.csv", "1;a\n2;b\n");
        var options = Options(schema: new Dictionary<string, ColumnSchema> { ["id"] = new Int32Schema() }, hasHeader: false, columns: ["id", "label"]);

        using var table = await Table.FromCsvAsync(path, options);

        Assert.Equal(["id", "label", "weight"], table.Schema.Names);
        Assert.IsType<Int32Schema>(table.Schema["id"]);
        Assert.Equal([1, 2], table.Rows.Select(r => (int)r["id"]!));
        var ragged = Write("ragged.csv", "1,a\n2,b,extra\n");
        var error = await Assert.ThrowsAsync<ImportException>(() => Table.FromCsvAsync(ragged, Options("r", hasHeader: false, columns: ["id", "label"])));
        Assert.Contains("line 2", error.Message, StringComparison.Ordinal);
        Assert.Contains("3 fields, but the columns are 2", error.Message, StringComparison.Ordinal);
        var miscounted = await Assert.ThrowsAsync<ImportException>(() => Table.FromCsvAsync(ragged, Options("m", hasHeader: false, columns: ["id"])));
        Assert.Contains("the column names given are 1, but the first record has 2 fields", miscounted.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task FromCsv_HeaderWithColumnNames_HeaderNamesReplaced()
    {
        var path = Write("renamed.csv", "a,a\n1,2\n");

        using var table = await Table.FromCsvAsync(path, Options(columns: ["left", "right"]));

        Assert.Equal(["left", "right", "weight"], table.Schema.Names);
        Assert.Equal((1L, 2L), ((long)table.Rows[0]["left"]!, (long)table.Rows[0]["right"]!));
    }

    [Fact(Timeout = 120_000)]
    public async Task FromCsv_NoHeaderLargeFileReadInParallel_EveryRecordOnce()
    {
        // Over the size that is parsed in parallel ranges: the first range's first row is a record too.
        var path = _root.File("input/large.csv");
        await using (var writer = new StreamWriter(path))
        {
            for (var i = 0; i < 400_000; i++)
            {
                await writer.WriteAsync(string.Create(CultureInfo.InvariantCulture, $"{i},name {i % 13},{i * 0.25}\n"));
            }
        }
        Assert.True(new FileInfo(path).Length > 8 << 20);

        using var table = await Table.FromCsvAsync(path, Options(hasHeader: false));

        Assert.Equal(400_000, table.RowCount);
        Assert.Equal(Enumerable.Range(0, 400_000).Select(i => (long)i), table.Rows.Select(r => (long)r["column_1"]!));
    }

    [Fact]
    public async Task FromCsv_MixedColumns_InfersTypesAndNullability()
    {
        var path = Write("mixed.csv",
            "id,score,flag,name,maybe,nothing\n" +
            "1,0.5,true,alpha,7,\n" +
            "2,1e3,False,\"be, ta\",,\n" +
            "3,-2,TRUE,\"multi\nline \"\"quoted\"\"\",9,\n");

        using var table = await Table.FromCsvAsync(path, Options());

        Assert.Equal(3, table.RowCount);
        Assert.Equal(["id", "score", "flag", "name", "maybe", "nothing", "weight"], table.Schema.Names);
        Assert.IsType<Int64Schema>(table.Schema["id"]);
        Assert.False(table.Schema["id"].Nullable);
        Assert.IsType<Float64Schema>(table.Schema["score"]);
        Assert.IsType<BoolSchema>(table.Schema["flag"]);
        Assert.IsType<StringSchema>(table.Schema["name"]);
        Assert.False(table.Schema["name"].Nullable);
        Assert.IsType<Int64Schema>(table.Schema["maybe"]);
        Assert.True(table.Schema["maybe"].Nullable);
        Assert.IsType<StringSchema>(table.Schema["nothing"]);
        Assert.True(table.Schema["nothing"].Nullable);

        Assert.Equal([1L, 2L, 3L], table.Rows.Select(r => (long)r["id"]!));
        Assert.Equal([0.5, 1000.0, -2.0], table.Rows.Select(r => (double)r["score"]!));
        Assert.Equal([true, false, true], table.Rows.Select(r => (bool)r["flag"]!));
        Assert.Equal(["alpha", "be, ta", "multi\nline \"quoted\""], table.Rows.Select(r => (string)r["name"]!));
        Assert.Equal([7L, null, 9L], table.Rows.Select(r => (long?)r["maybe"]));
        Assert.All(table.Rows, r => Assert.Null(r["nothing"]));
        Assert.All(table.Rows, r => Assert.Equal(1.0f, r["weight"]));
    }

    [Theory]
    [InlineData("1|2.5|3", "float64")]
    [InlineData("1|x|3", "string")]
    [InlineData("true|1|false", "string")]
    [InlineData("9223372036854775807|9223372036854775808|0", "float64")]
    [InlineData("1,5|2|3", "string")]
    [InlineData("NaN|Infinity|1", "float64")]
    [InlineData(" 7| 8 |-9", "int64")]
    public async Task FromCsv_Widening_TakesNarrowestTypeHoldingAllValues(string values, string expected)
    {
        var text = "v\n" + string.Join('\n', values.Split('|').Select(v => v.Contains(',') ? $"\"{v}\"" : v)) + "\n";
        using var table = await Table.FromCsvAsync(Write("widen.csv", text), Options());

        Assert.Equal(expected, ((ScalarSchema)table.Schema["v"]).Kind.Name());
        Assert.Equal(3, table.RowCount);
    }

    [Fact]
    public async Task FromCsv_SchemaOverrides_MapClassNamesAndKeepUrls()
    {
        var path = Write("labels.csv",
            "image,label,p,emb,when\n" +
            "http://example.com/a.png,dog,0.25,\"[1, 2]\",2024-05-01T12:00:00Z\n" +
            "images/b.png,cat,1,\"[3.5, 4]\",2024-05-02\n" +
            "images/c.png,1,0,\"[0, 0]\",\n");
        var schema = new Dictionary<string, ColumnSchema>
        {
            ["image"] = new ImageSchema(ImageSampleType.Url),
            ["label"] = new CategoricalLabelSchema(["cat", "dog"]),
            ["p"] = new Float32Schema { Min = 0, Max = 1 },
            ["emb"] = new EmbeddingSchema(2),
            ["when"] = new DateTimeSchema { Nullable = true },
        };

        using var table = await Table.FromCsvAsync(path, Options(schema: schema));

        Assert.IsType<ImageSchema>(table.Schema["image"]);
        Assert.IsType<CategoricalLabelSchema>(table.Schema["label"]);
        Assert.Equal([1, 0, 1], table.Rows.Select(r => (int)r["label"]!));
        Assert.Equal(["http://example.com/a.png", "images/b.png", "images/c.png"], table.Rows.Select(r => (string)r["image"]!));
        // A relative URL is relative to the table folder: the sample names the file it points at.
        Assert.Equal(table.Url.Join("images/b.png").Value, table[1]["image"]);
        Assert.Equal([0.25f, 1f, 0f], table.Rows.Select(r => (float)r["p"]!));
        Assert.Equal([3.5f, 4f], (float[])table.Rows[1]["emb"]!);
        Assert.Equal(new DateTimeOffset(2024, 5, 1, 12, 0, 0, TimeSpan.Zero), table.Rows[0]["when"]);
        Assert.Equal(new DateTimeOffset(2024, 5, 2, 0, 0, 0, TimeSpan.Zero), table.Rows[1]["when"]);
        Assert.Null(table.Rows[2]["when"]);
    }

    [Fact]
    public async Task FromCsv_200kRows_StreamsInBatchesAndChunks()
    {
        const int rows = 200_000;
        var text = new StringBuilder("i,x,s\n");
        for (var i = 0; i < rows; i++)
        {
            text.Append(i).Append(',').Append((i * 0.5).ToString(CultureInfo.InvariantCulture)).Append(",s").Append(i % 100).Append('\n');
        }
        var path = Write("big.csv", text.ToString());

        using var table = await Table.FromCsvAsync(path, Options(batchRows: 10_000, chunkRows: 50_000));

        Assert.Equal(rows, table.RowCount);
        Assert.Equal(4, table.Object.Chunks.Count);
        Assert.All(table.Object.Chunks, c => Assert.Equal(50_000, c.Rows));
        Assert.All(table.Object.Chunks, c => Assert.Equal(Enumerable.Repeat(10_000, 5), c.Batches));
        Assert.Equal((long)rows * (rows - 1) / 2, table.Column("i").ArrowArrays().Sum());
        Assert.Equal(199_999L, table.Rows[199_999]["i"]);
        Assert.Equal(99_999.5, table.Rows[199_999]["x"]);
        Assert.Equal("s42", table.Rows[142]["s"]);
    }

    [Fact]
    public async Task FromCsv_SeparatorDetectedOrGiven_SplitsFields()
    {
        using var semicolon = await Table.FromCsvAsync(Write("semi.csv", "a;b\n1;2,5\n"), Options("semi"));
        Assert.Equal("2,5", semicolon.Rows[0]["b"]);
        Assert.Equal(1L, semicolon.Rows[0]["a"]);

        using var tab = await Table.FromCsvAsync(Write("tab.tsv", "a\tb\r\n1\tx y\r\n"), Options("tab", separator: '\t'));
        Assert.Equal("x y", tab.Rows[0]["b"]);

        using var single = await Table.FromCsvAsync(Write("single.csv", "name\nx;y\n\nz\n"), Options("single"));
        Assert.Equal(["x;y", null, "z"], single.Rows.Select(r => (string?)r["name"]));
    }

    [Fact]
    public async Task FromCsv_ByteOrderMarkAndHeaderOnly_ReadCleanly()
    {
        var path = _root.File("input/bom.csv");
        File.WriteAllBytes(path, [.. Encoding.UTF8.GetPreamble(), .. Encoding.UTF8.GetBytes("a,b\r\n1,x\r\n")]);
        using var bom = await Table.FromCsvAsync(path, Options("bom"));
        Assert.Equal(["a", "b", "weight"], bom.Schema.Names);
        Assert.Equal(1L, bom.Rows[0]["a"]);

        using var empty = await Table.FromCsvAsync(Write("header.csv", "a,b\n"), Options("header"));
        Assert.Equal(0, empty.RowCount);
        Assert.True(empty.Schema["a"].Nullable);
        Assert.IsType<StringSchema>(empty.Schema["b"]);
    }

    [Fact]
    public async Task FromCsv_NullValues_ReadAsNull()
    {
        using var table = await Table.FromCsvAsync(Write("na.csv", "a,b\n1,NA\nNA,2\n"), Options(nullValues: ["NA"]));

        Assert.IsType<Int64Schema>(table.Schema["a"]);
        Assert.True(table.Schema["b"].Nullable);
        Assert.Equal([1L, null], table.Rows.Select(r => (long?)r["a"]));
        Assert.Equal([null, 2L], table.Rows.Select(r => (long?)r["b"]));
    }

    [Fact]
    public async Task FromCsv_Reuse_ReturnsExistingTableWithoutReadingInput()
    {
        var path = Write("reuse.csv", "a\n1\n2\n");
        using var first = await Table.FromCsvAsync(path, Options(ifExists: IfExists.Reuse));
        File.WriteAllText(path, "not,a\nvalid\n");

        using var again = await Table.FromCsvAsync(path, Options(ifExists: IfExists.Reuse));

        Assert.Equal(first.Url, again.Url);
        Assert.Equal(first.Object.Id, again.Object.Id);
        Assert.Equal(2, again.RowCount);
    }

    [Fact]
    public async Task FromCsv_Source_RecordsFormatUrlAndOptions()
    {
        var path = Write("src.csv", "a,b\n1,x\n");
        using var table = await Table.FromCsvAsync(path, Options(schema: new Dictionary<string, ColumnSchema> { ["b"] = new StringSchema() }));

        var source = table.Object.Source!;
        Assert.Equal("csv", (string?)source["format"]);
        Assert.Equal(Url.FromLocalPath(path).Value, (string?)source["url"]);
        Assert.Equal(",", (string?)source["options"]!["separator"]);
        Assert.Equal("b", (string?)source["options"]!["schema_overrides"]![0]);
    }

    [Fact(Timeout = 60_000)]
    public async Task FromCsv_HttpUrl_ReadsThroughUrlAdapters()
    {
        Write("served.csv", "a,b\n1,x\n2,y\n");
        await using var server = new LocalHttpServer(Path.Combine(_root.Path, "input"));

        using var table = await Table.FromCsvAsync(server.BaseUrl.Join("served.csv").Value, Options(), TestContext.Current.CancellationToken);

        Assert.Equal(2, table.RowCount);
        Assert.Equal("y", table.Rows[1]["b"]);
        Assert.Equal(server.BaseUrl.Join("served.csv").Value, (string?)table.Object.Source!["url"]);
    }
}

public sealed class CsvWeightColumnTests : IDisposable
{
    private readonly Tlc.Testing.TempRoot _root = new("csv-weight");

    public void Dispose() => _root.Dispose();

    [Fact]
    public async Task FromCsv_NumericWeightColumn_BecomesTheSampleWeight()
    {
        var path = _root.File("w.csv");
        File.WriteAllText(path, "id,weight\n1,0\n2,2\n3,1\n");
        using var table = await Table.FromCsvAsync(path, new Tlc.Tables.Import.CsvImportOptions { Root = _root.Url, Settings = _root.Settings });

        Assert.IsType<Tlc.Schemas.SampleWeightSchema>(table.Schema["weight"]);
        Assert.Equal(["id", "weight"], table.Schema.Names);
        Assert.Equal([0f, 2f, 1f], table.Rows.Select(r => (float)r["weight"]!));
        Assert.Equal([1L, 1, 2], Tlc.Tables.Sampling.Samplers.RepeatByWeight(Tlc.Tables.Sampling.Samplers.Weights(table), 1).Order());
    }
}
