using System.Collections;
using System.Globalization;
using System.Text;
using Tlc.Schemas;
using Tlc.Tables.Import;
using Tlc.Testing;
using static Tlc.Tables.Tests.Import.ImportTestSupport;

namespace Tlc.Tables.Tests.Import;

/// <summary>
/// Bad input for the tabular importers: every error names the input and where in it (line or row, and column), and no table
/// is published.
/// </summary>
public sealed class TabularBadInputTests : IDisposable
{
    private readonly TempRoot _root = new("bad");

    public void Dispose() => _root.Dispose();

    private T Options<T>(string table, IReadOnlyDictionary<string, ColumnSchema>? schema = null, int? batchRows = null) where T : ImportOptions, new() => new()
    {
        Project = "p",
        Dataset = "d",
        Table = table,
        Root = _root.Url,
        Settings = _root.Settings,
        IfExists = IfExists.Raise,
        Schema = schema,
        BatchRows = batchRows,
    };

    private string Write(string name, string text) => WriteBytes(name, new UTF8Encoding(false).GetBytes(text));

    private string WriteBytes(string name, byte[] bytes)
    {
        var path = _root.File($"input/{name}");
        File.WriteAllBytes(path, bytes);
        return path;
    }

    private async Task<ImportException> Csv(string table, string path, IReadOnlyDictionary<string, ColumnSchema>? schema = null, int inferenceRows = 10_000,
        int? batchRows = null)
    {
        var options = new CsvImportOptions
        {
            Project = "p",
            Dataset = "d",
            Table = table,
            Root = _root.Url,
            Settings = _root.Settings,
            IfExists = IfExists.Raise,
            Schema = schema,
            InferenceRows = inferenceRows,
            BatchRows = batchRows,
        };
        var e = await Assert.ThrowsAsync<ImportException>(() => Table.FromCsvAsync(path, options));
        AssertNothingPublished(_root, table);
        return e;
    }

    private async Task<ImportException> Ndjson(string table, string path, int inferenceLines = 10_000)
    {
        var options = new NdjsonImportOptions
        {
            Project = "p",
            Dataset = "d",
            Table = table,
            Root = _root.Url,
            Settings = _root.Settings,
            IfExists = IfExists.Raise,
            InferenceLines = inferenceLines,
            BatchRows = 16,
        };
        var e = await Assert.ThrowsAsync<ImportException>(() => Table.FromNdjsonAsync(path, options));
        AssertNothingPublished(_root, table);
        return e;
    }

    [Fact]
    public async Task Csv_RaggedRow_NamesFileAndLine()
    {
        var e = await Csv("ragged", Write("ragged.csv", "a,b\n1,2\n3\n4,5\n"));

        AssertNames(e, "ragged.csv", "ragged.csv:line 3", "1 field, but the header has 2");
    }

    [Fact]
    public async Task Csv_RaggedRowAfterQuotedNewlines_NamesPhysicalLineOfRecordStart()
    {
        var e = await Csv("ragged2", Write("ragged2.csv", "a,b\n\"x\ny\nz\",1\n2,3,4\n"));

        AssertNames(e, "ragged2.csv", "ragged2.csv:line 5", "3 fields, but the header has 2");
    }

    [Fact]
    public async Task Csv_InvalidUtf8_NamesFileAndLine()
    {
        var bytes = Encoding.ASCII.GetBytes("a,b\n1,x\n2,y\n").Concat(new byte[] { (byte)'3', (byte)',', 0xFF, (byte)'\n' }).ToArray();

        var e = await Csv("utf8", WriteBytes("latin.csv", bytes));

        AssertNames(e, "latin.csv", "latin.csv:line 4", "invalid UTF-8", "0xFF");
    }

    [Fact]
    public async Task Csv_WrongTypeAfterInferenceSample_NamesLineColumnAndType()
    {
        var text = new StringBuilder("x,y\n");
        for (var line = 2; line <= 6000; line++)
        {
            text.Append(line == 5234 ? "abc" : (line * 0.5).ToString(CultureInfo.InvariantCulture)).Append(",1\n");
        }

        var e = await Csv("wrongtype", Write("data.csv", text.ToString()), inferenceRows: 1000, batchRows: 1000);

        AssertNames(e, "data.csv", "data.csv:line 5234, column 'x': 'abc' is not a float64", "InferenceRows");
    }

    [Fact]
    public async Task Csv_WrongTypeAfterMultilineRecord_NamesRecordStartLine()
    {
        var e = await Csv("wrongtype2", Write("multi.csv", "n,s\n1,\"a\nb\"\n2,\"c\nd\ne\"\nx,\"f\ng\"\n"), inferenceRows: 2);

        AssertNames(e, "multi.csv", "multi.csv:line 7, column 'n': 'x' is not an int64");
    }

    [Fact]
    public async Task Csv_EmptyFile_NamesFile()
    {
        var e = await Csv("empty", Write("empty.csv", ""));

        AssertNames(e, "empty.csv", "empty.csv:line 1", "empty file");
    }

    [Fact]
    public async Task Csv_DuplicateHeader_NamesColumns()
    {
        var e = await Csv("dup", Write("dup.csv", "a,b,a\n1,2,3\n"));

        AssertNames(e, "dup.csv", "dup.csv:line 1", "duplicate column name 'a' (columns 1 and 3)");
    }

    [Fact]
    public async Task Csv_UnknownClassName_NamesLineColumnAndClasses()
    {
        var schema = new Dictionary<string, ColumnSchema> { ["label"] = new CategoricalLabelSchema(["cat", "dog"]) };

        var e = await Csv("classes", Write("classes.csv", "id,label\n1,cat\n2,dog\n3,fish\n"), schema);

        AssertNames(e, "classes.csv", "classes.csv:line 4, column 'label': 'fish' is not a class", "classes: cat, dog");
    }

    [Fact]
    public async Task Csv_ValueOutsideDeclaredRange_NamesLineInLaterBatch()
    {
        var schema = new Dictionary<string, ColumnSchema> { ["p"] = new Float32Schema { Min = 0, Max = 1 } };

        var e = await Csv("range", Write("range.csv", "p\n0.1\n0.2\n0.3\n1.5\n0.4\n"), schema, batchRows: 2);

        AssertNames(e, "range.csv", "range.csv:line 5, column 'p'", "outside [0, 1]");
    }

    [Fact]
    public async Task Ndjson_MalformedLine_NamesFileAndLine()
    {
        var e = await Ndjson("malformed", Write("bad.ndjson", "{\"a\": 1}\n{\"a\": 2,}\n"));

        AssertNames(e, "bad.ndjson", "bad.ndjson:line 2", "malformed JSON");
    }

    [Fact]
    public async Task Ndjson_NonObjectLine_NamesFileAndLine()
    {
        var e = await Ndjson("array", Write("array.ndjson", "{\"a\": 1}\n\n[1, 2]\n"));

        AssertNames(e, "array.ndjson", "array.ndjson:line 3", "expected a JSON object, got an array");
    }

    [Fact]
    public async Task Ndjson_InvalidUtf8_NamesFileAndLine()
    {
        var bytes = Encoding.ASCII.GetBytes("{\"a\": \"x\"}\n{\"a\": \"").Concat(new byte[] { 0xC3, 0x28 }).Concat(Encoding.ASCII.GetBytes("\"}\n")).ToArray();

        var e = await Ndjson("utf8", WriteBytes("latin.ndjson", bytes));

        AssertNames(e, "latin.ndjson", "latin.ndjson:line 2", "invalid UTF-8", "0xC3");
    }

    [Fact]
    public async Task Ndjson_WrongTypeAfterInferenceSample_NamesLineAndColumn()
    {
        var text = new StringBuilder();
        for (var line = 1; line <= 50; line++)
        {
            text.Append(line == 40 ? "{\"n\": \"forty\"}\n" : $"{{\"n\": {line}}}\n");
        }

        var e = await Ndjson("wrongtype", Write("numbers.ndjson", text.ToString()), inferenceLines: 10);

        AssertNames(e, "numbers.ndjson", "numbers.ndjson:line 40, column 'n'", "expected int64", "InferenceLines");
    }

    [Fact]
    public async Task Ndjson_UnknownKeyAfterInferenceSample_NamesLineAndKey()
    {
        var text = string.Concat(Enumerable.Range(1, 20).Select(i => i == 15 ? "{\"n\": 1, \"late\": true}\n" : "{\"n\": 1}\n"));

        var e = await Ndjson("latekey", Write("late.ndjson", text), inferenceLines: 5);

        AssertNames(e, "late.ndjson", "late.ndjson:line 15", "the key 'late' is not a column");
    }

    [Fact]
    public async Task Parquet_Truncated_NamesFile()
    {
        var whole = File.ReadAllBytes(ParquetImportTests.WriteTypedParquet(_root.File("input/whole.parquet")));
        var path = WriteBytes("truncated.parquet", whole[..(whole.Length / 2)]);

        var e = await Assert.ThrowsAsync<ImportException>(() => Table.FromParquetAsync(path, Options<ParquetImportOptions>("truncated")));

        AssertNames(e, "truncated.parquet", "truncated.parquet:footer", "not a readable Parquet file");
        AssertNothingPublished(_root, "truncated");
    }

    [Fact]
    public async Task Parquet_NotParquet_NamesFile()
    {
        var path = Write("text.parquet", "a,b\n1,2\n");

        var e = await Assert.ThrowsAsync<ImportException>(() => Table.FromParquetAsync(path, Options<ParquetImportOptions>("notparquet")));

        AssertNames(e, "text.parquet", "text.parquet:footer", "not a readable Parquet file");
        AssertNothingPublished(_root, "notparquet");
    }

    [Fact]
    public async Task Parquet_UnknownClassInOverride_NamesRowAndColumn()
    {
        var path = ParquetImportTests.WriteTypedParquet(_root.File("input/typed.parquet"));
        var schema = new Dictionary<string, ColumnSchema> { ["c"] = new CategoricalLabelSchema(["cat"]) };

        var e = await Assert.ThrowsAsync<ImportException>(() => Table.FromParquetAsync(path, Options<ParquetImportOptions>("override", schema)));

        AssertNames(e, "typed.parquet", "typed.parquet:row 0, column 'c'", "'dog' is not a class");
        AssertNothingPublished(_root, "override");
    }

    [Fact]
    public async Task Dict_LengthMismatch_NamesColumnsAndRow()
    {
        var columns = new Dictionary<string, IEnumerable> { ["a"] = new[] { 1, 2, 3 }, ["b"] = new[] { "x", "y" } };

        var e = await Assert.ThrowsAsync<ImportException>(() => Table.FromDictAsync(columns, Options<ImportOptions>("lengths")));

        AssertNames(e, "dict", "dict:row 2", "'a' has 3 values, 'b' has 2");
        AssertNothingPublished(_root, "lengths");
    }
}
