using Tlc.Schemas;
using Tlc.Testing;

namespace Tlc.Tables.Tests;

public sealed class NullableListValueTests : IDisposable
{
    private readonly TempRoot _root = new("nullable-lists");

    public void Dispose() => _root.Dispose();

    [Fact]
    public async Task Read_FixedSizeFloatListWithANullRow_OtherRowsStayTypedArrays()
    {
        await using var writer = await TableWriter.CreateAsync(new TableWriterOptions
        {
            Schema = new TableSchema { ["v"] = new EmbeddingSchema(2) { Nullable = true }, ["w"] = new ListSchema(new Float32Schema()) { Nullable = true } },
            Project = "p",
            Dataset = "d",
            Table = "t",
            Root = _root.Url,
            Settings = _root.Settings,
        });
        writer.AddRow(new Dictionary<string, object?> { ["v"] = new[] { 1f, 2f }, ["w"] = new[] { 1f } });
        writer.AddRow(new Dictionary<string, object?> { ["v"] = null, ["w"] = null });
        writer.AddRow(new Dictionary<string, object?> { ["v"] = new[] { 3f, 4f }, ["w"] = new[] { 2f, 3f } });
        using var table = await writer.FinalizeAsync();
        Assert.Equal([1f, 2f], Assert.IsType<float[]>(table.GetValue("v", 0)));
        Assert.Null(table.GetValue("v", 1));
        Assert.Equal([3f, 4f], Assert.IsType<float[]>(table.Rows[2]["v"]));
        Assert.Equal([2f, 3f], Assert.IsType<float[]>(table.Rows[2]["w"]));
    }
}
