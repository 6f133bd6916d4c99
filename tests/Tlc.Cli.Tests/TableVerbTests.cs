using System.Text.Json;
using Tlc.Schemas;
using Tlc.Tables;
using Tlc.Testing;

namespace Tlc.Cli.Tests;

public sealed class TableVerbTests : IDisposable
{
    private readonly TempRoot _root = new("cli");

    public void Dispose() => _root.Dispose();

    private async Task<Table> WriteAsync()
    {
        await using var writer = await TableWriter.CreateAsync(new TableWriterOptions
        {
            Schema = new TableSchema { ["id"] = new Int64Schema(), ["label"] = new CategoricalLabelSchema(["cat", "dog"]) },
            Project = "p",
            Dataset = "d",
            Table = "t",
            Root = _root.Url,
            Settings = _root.Settings,
        });
        for (var i = 0; i < 20; i++)
        {
            writer.AddRow(new Dictionary<string, object?> { ["id"] = (long)i, ["label"] = i % 2 });
        }
        return await writer.FinalizeAsync();
    }

    private Task<CliProcess.Result> Tlc(params string[] args) => CliProcess.RunAsync([.. args, "--root", _root.Path]);

    [Fact(Timeout = 120_000)]
    public async Task TableInfo_Json_PrintsUrlRowsColumnsParent()
    {
        var table = await WriteAsync();
        var result = await Tlc("table", "info", table.Url.Value, "--json");

        Assert.Equal(0, result.ExitCode);
        using var json = JsonDocument.Parse(result.Stdout);
        Assert.Equal(table.Url.Value, json.RootElement.GetProperty("url").GetString());
        Assert.Equal(20, json.RootElement.GetProperty("rows").GetInt64());
        Assert.Equal(["id", "label", "weight"], json.RootElement.GetProperty("columns").EnumerateArray().Select(c => c.GetProperty("name").GetString()));
        Assert.Equal("int32 (categorical_label)", json.RootElement.GetProperty("columns")[1].GetProperty("type").GetString());
        Assert.Equal(JsonValueKind.Null, json.RootElement.GetProperty("parent").ValueKind);
    }

    [Fact(Timeout = 120_000)]
    public async Task TableRows_Json_PrintsRawRowsOfTheRange()
    {
        var table = await WriteAsync();
        var result = await Tlc("table", "rows", table.Url.LocalPath, "--from", "5", "--count", "3", "--json");

        Assert.Equal(0, result.ExitCode);
        using var json = JsonDocument.Parse(result.Stdout);
        Assert.Equal([5L, 6, 7], json.RootElement.EnumerateArray().Select(r => r.GetProperty("id").GetInt64()));
        Assert.Equal(1, json.RootElement[0].GetProperty("label").GetInt32());
    }

    [Fact(Timeout = 120_000)]
    public async Task TableEdit_ThenLatest_PublishesRevisionWithEdits()
    {
        var table = await WriteAsync();
        var edit = await Tlc("table", "edit", table.Url.Value, "--set", "label:0-2=dog", "--weight", "3,4=0", "--delete", "19", "--json");
        Assert.Equal(0, edit.ExitCode);
        using var made = JsonDocument.Parse(edit.Stdout);
        Assert.Equal(19, made.RootElement.GetProperty("rows").GetInt64());

        var latest = await Tlc("table", "latest", table.Url.Value);
        Assert.Equal(0, latest.ExitCode);
        Assert.Equal(made.RootElement.GetProperty("url").GetString(), latest.Stdout.Trim());
        var revision = await Table.OpenAsync(latest.Stdout.Trim());
        Assert.Equal(1, revision.Rows[0]["label"]);
        Assert.Equal(0f, revision.Rows[4]["weight"]);

        var stale = await Tlc("table", "edit", table.Url.Value, "--set", "label:5=cat");
        Assert.Equal(1, stale.ExitCode);
        Assert.Contains("head of its lineage is now", stale.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", stale.Stderr, StringComparison.Ordinal);
    }

    [Fact(Timeout = 120_000)]
    public async Task Tables_Json_ListsEveryTableUnderRoot()
    {
        var table = await WriteAsync();
        await table.Edit().SetValue("label", 0, 1).CommitAsync();
        var result = await Tlc("tables", "--json");

        Assert.Equal(0, result.ExitCode);
        using var json = JsonDocument.Parse(result.Stdout);
        Assert.Equal(["t", "t.r0001"], json.RootElement.EnumerateArray().Select(t => t.GetProperty("table").GetString()));
        Assert.Equal("edit", json.RootElement[1].GetProperty("lineage").GetString());
    }

    [Theory(Timeout = 120_000)]
    [InlineData(1, "table", "info", "{root}/nope")]
    [InlineData(1, "table", "edit", "{table}", "--set", "label:99=cat")]
    [InlineData(2, "table", "edit", "{table}", "--set", "nonsense")]
    [InlineData(2, "table", "rows", "{table}", "--count", "x")]
    [InlineData(2, "frobnicate")]
    public async Task Errors_OneClearLineAndExitCode(int exitCode, params string[] args)
    {
        var table = await WriteAsync();
        var result = await Tlc(args.Select(a => a.Replace("{root}", _root.Path, StringComparison.Ordinal).Replace("{table}", table.Url.Value, StringComparison.Ordinal)).ToArray());

        Assert.Equal(exitCode, result.ExitCode);
        Assert.StartsWith("tlc: ", result.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", result.Stderr, StringComparison.Ordinal);
        Assert.Equal("", result.Stdout);
    }

    [Fact(Timeout = 120_000)]
    public async Task EveryVerb_HasHelpWithAnExample()
    {
        foreach (var verb in new[] { new[] { "table", "info" }, ["table", "rows"], ["table", "edit"], ["table", "latest"], ["table", "filter"], ["table", "squash"], ["tables"], ["demo"] })
        {
            var result = await CliProcess.RunAsync([.. verb, "--help"]);
            Assert.Equal(0, result.ExitCode);
            Assert.Contains("Example: tlc", result.Stdout, StringComparison.Ordinal);
        }
    }
}
