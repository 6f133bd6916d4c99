using Tlc.Schemas;
using Tlc.Tables.Revisions;
using Tlc.Tables.Storage;
using Tlc.Testing;

namespace Tlc.Tables.Tests;

public sealed class RevisionTests : IDisposable
{
    private readonly TempRoot _root = new("revisions");

    public void Dispose() => _root.Dispose();

    private async Task<Table> WriteAsync(int rows = 100, string name = "base")
    {
        await using var writer = await TableWriter.CreateAsync(new TableWriterOptions
        {
            Schema = new TableSchema
            {
                ["id"] = new Int64Schema(),
                ["label"] = new CategoricalLabelSchema(["cat", "dog", "bird"]),
                ["note"] = new StringSchema { Nullable = true },
            },
            Project = "p",
            Dataset = "d",
            Table = name,
            Root = _root.Url,
            Settings = _root.Settings,
            IfExists = IfExists.Raise,
            BatchRows = 16,
        });
        for (var i = 0; i < rows; i++)
        {
            writer.AddRow(new Dictionary<string, object?> { ["id"] = (long)i, ["label"] = i % 3 });
        }
        return await writer.FinalizeAsync();
    }

    [Fact]
    public async Task Commit_SetValues_NewRevisionStoresOnlyEditsAndReadsThem()
    {
        var table = await WriteAsync();
        var revision = await table.Edit().SetValues("label", [3, 4, 5, 50], "bird").SetValue("note", 7, "checked").CommitAsync();

        Assert.Equal("base.r0001", revision.Url.Name);
        Assert.Equal(LineageKinds.Edit, revision.Object.Lineage.Kind);
        Assert.Empty(revision.Object.Chunks);
        var runs = revision.Object.Edits!["label"].RunsAndValues!.ToJsonString();
        Assert.Equal("[[3,-5,50],2]", runs);
        Assert.Equal(2, revision.Rows[4]["label"]);
        Assert.Equal(2, revision.Rows[50]["label"]);
        Assert.Equal(6 % 3, revision.Rows[6]["label"]);
        Assert.Equal("checked", revision.Rows[7]["note"]);
        Assert.Null(revision.Rows[8]["note"]);
        // The base never changes.
        Assert.Equal(4 % 3, (await Table.OpenAsync(table.Url)).Rows[4]["label"]);
    }

    [Fact]
    public async Task Commit_OverlappingAssignments_LaterWins()
    {
        var table = await WriteAsync(20);
        var revision = await table.Edit().SetRange("label", 0, 9, 1).SetValue("label", 5, 2).SetRange("label", 8, 12, 0).CommitAsync();

        Assert.Equal([1, 1, 1, 1, 1, 2, 1, 1, 0, 0, 0, 0, 0, 13 % 3], Enumerable.Range(0, 14).Select(i => (int)revision.Rows[i]["label"]!));
        Assert.Equal("[[0,-4,6,-7],1,[5],2,[8,-12],0]", revision.Object.Edits!["label"].RunsAndValues!.ToJsonString());
    }

    [Fact]
    public async Task Latest_AfterTwoEdits_FindsNewestFromAnyRevision()
    {
        var table = await WriteAsync();
        var r1 = await table.Edit().SetValue("label", 0, 1).CommitAsync();
        var r2 = await r1.Edit().SetValue("label", 1, 2).CommitAsync();

        Assert.Equal(r2.Url, (await table.LatestAsync()).Url);
        Assert.Equal(r2.Url, (await r1.LatestAsync()).Url);
        Assert.Equal(r2.Url, (await r2.LatestAsync()).Url);
        var latest = await Table.LatestAsync(table.Url);
        Assert.Equal(1, latest.Rows[0]["label"]);
        Assert.Equal(2, latest.Rows[1]["label"]);
    }

    [Fact]
    public async Task Commit_StaleBase_IsRefusedWithCurrentHead()
    {
        var table = await WriteAsync();
        var head = await table.Edit().SetValue("label", 0, 1).CommitAsync();

        var e = await Assert.ThrowsAsync<StaleRevisionException>(() => table.Edit().SetValue("label", 2, 1).CommitAsync());
        Assert.Equal(head.Url, e.Head);
        Assert.Equal(table.Url, e.BaseRevision);
    }

    [Fact]
    public async Task Commit_ConcurrentEditsOfOneHead_ExactlyOneWins()
    {
        var table = await WriteAsync();
        var attempts = Enumerable.Range(0, 8).Select(i => Task.Run(async () =>
        {
            try
            {
                await (await Table.OpenAsync(table.Url)).Edit().SetValue("note", i, $"writer {i}").CommitAsync();
                return true;
            }
            catch (StaleRevisionException)
            {
                return false;
            }
        })).ToList();
        var results = await Task.WhenAll(attempts);

        Assert.Equal(1, results.Count(r => r));
        var head = await table.LatestAsync();
        Assert.Equal("base.r0001", head.Url.Name);
        Assert.Single(Enumerable.Range(0, 8), i => head.Rows[i]["note"] is string);
    }

    [Fact]
    public async Task DeleteRows_MapsRowIndicesAlongLineage()
    {
        var table = await WriteAsync(10);
        var revision = await table.Edit().DeleteRows([2, 3, 7]).CommitAsync();

        Assert.Equal(7, revision.RowCount);
        Assert.Equal([0L, 1, 4, 5, 6, 8, 9], revision.Rows.Select(r => (long)r["id"]!));
        Assert.Equal(4, revision.MapRowToParent(2));
        Assert.Equal(2, revision.MapRowFromParent(4));
        Assert.Equal(-1, revision.MapRowFromParent(3));
        var json = revision.Object.Edits![DerivedTables.DeleteColumn].RunsAndValues!.ToJsonString();
        Assert.Equal("[[2,-3,7],true]", json);
    }

    [Fact]
    public async Task AddAndDeleteColumn_AndValueMapEdit_ChangeSchemaSparsely()
    {
        var table = await WriteAsync(20);
        var revision = await table.Edit()
            .AddColumn("score", new Float32Schema(), 0.5f)
            .DeleteColumn("note")
            .SetValueMap("label", ValueMap.FromClasses(["kitten", "puppy", "chick"]))
            .SetWeights([1, 2], 0f)
            .CommitAsync();
        var reopened = await Table.OpenAsync(revision.Url);

        Assert.Equal(["id", "label", "weight", "score"], reopened.Schema.Names);
        Assert.Equal(["kitten", "puppy", "chick"], ((CategoricalLabelSchema)reopened.Schema["label"]).Classes);
        Assert.Equal(0.5f, reopened.Rows[19]["score"]);
        Assert.Equal(0f, reopened.Rows[1]["weight"]);
        Assert.Equal(1f, reopened.Rows[3]["weight"]);
        Assert.Equal(1, reopened.Rows[1]["label"]);
        Assert.Null(reopened.Object.Edits!.GetValueOrDefault("note"));
        Assert.True(reopened.Object.SchemaOverrides!.ContainsKey("note"));
        Assert.Null(reopened.Object.SchemaOverrides["note"]);
    }

    [Fact]
    public async Task Edit_RowOutOfRange_ClearErrorAndNothingPublished()
    {
        var table = await WriteAsync(10);
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => table.Edit().SetValue("label", 10, 1));
        Assert.Contains("rows 10..10 are outside the rows 0..9", e.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentOutOfRangeException>(() => table.Edit().DeleteRows([-1]));
        Assert.False(Directory.Exists(Path.Combine(table.Url.Parent.LocalPath, "base.r0001")));
    }

    [Fact]
    public async Task Edit_WrongValueType_ClearErrorAndNothingPublished()
    {
        var table = await WriteAsync(10);
        var e = await Assert.ThrowsAsync<ArgumentException>(() => table.Edit().SetValue("label", 3, "fish").CommitAsync());
        Assert.Contains("row 3, column 'label'", e.Message, StringComparison.Ordinal);
        Assert.Contains("'fish' is not a class", e.Message, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(table.Url.Parent.LocalPath, "base.r0001", TableObject.FileName)));
    }

    [Fact]
    public async Task Edit_ReadOnlyColumn_IsRefused()
    {
        var table = await WriteAsync(5);
        var revision = await table.Edit().AddColumn("example_id", new ExampleIdSchema(), 0L).CommitAsync();
        Assert.Throws<InvalidOperationException>(() => revision.Edit().SetValue("example_id", 0, 3L));
    }

    [Fact]
    public async Task ManyEdits_GoToArrowSidecarAndReadBack()
    {
        var table = await WriteAsync(30_000);
        var editor = table.Edit();
        for (var i = 0; i < 30_000; i += 2)
        {
            editor.SetValue("note", i, $"n{i}");
        }
        var revision = await editor.CommitAsync();

        Assert.NotNull(revision.Object.Edits!["note"].Sidecar);
        Assert.Null(revision.Object.Edits["note"].RunsAndValues);
        var reopened = await Table.OpenAsync(revision.Url);
        Assert.Equal("n29998", reopened.Rows[29_998]["note"]);
        Assert.Null(reopened.Rows[29_999]["note"]);
    }

    [Fact]
    public async Task Squash_MaterialisesWithoutLineage_SameContentHash()
    {
        var table = await WriteAsync(50);
        var revision = await table.Edit().SetValues("label", [1, 2, 3], 0).DeleteRows([10, 11]).CommitAsync();
        var squashed = await revision.SquashAsync(new DerivedTableOptions { Name = "squashed" });

        Assert.Equal(LineageKinds.Squash, squashed.Object.Lineage.Kind);
        Assert.Empty(squashed.Object.Lineage.Parents);
        Assert.NotEmpty(squashed.Object.Chunks);
        Assert.Equal(revision.ContentHash(), squashed.ContentHash());
        Assert.NotEqual(table.ContentHash(), squashed.ContentHash());
    }

    [Fact]
    public async Task Overwrite_KeepsDerivedRevisionsReadable()
    {
        var table = await WriteAsync(10);
        var revision = await table.Edit().SetValue("label", 0, 2).CommitAsync();
        // Overwrite the root with different rows.
        await using (var writer = await TableWriter.CreateAsync(new TableWriterOptions
        {
            Schema = new TableSchema { ["id"] = new Int64Schema(), ["label"] = new CategoricalLabelSchema(["cat", "dog", "bird"]), ["note"] = new StringSchema { Nullable = true } },
            TableUrl = table.Url,
            IfExists = IfExists.Overwrite,
            Settings = _root.Settings,
        }))
        {
            writer.AddRow(new Dictionary<string, object?> { ["id"] = 99L, ["label"] = 0 });
            await writer.FinalizeAsync();
        }

        var reread = await Table.OpenAsync(revision.Url);
        Assert.Equal(10, reread.RowCount);
        Assert.Equal(2, reread.Rows[0]["label"]);
        Assert.Equal(1L, reread.Rows[1]["id"]);
        var newRoot = await Table.OpenAsync(table.Url);
        Assert.Equal(newRoot.Url, (await newRoot.LatestAsync()).Url);
        var newRevision = await newRoot.Edit().SetValue("label", 0, 1).CommitAsync();
        Assert.Equal("base.g1.r0001", newRevision.Url.Name);
    }
}
