using Tlc.Schemas;
using Tlc.Tables.Samples;
using Tlc.Tables.Urls;
using Tlc.Testing;

namespace Tlc.Tables.Tests.Urls;

/// <summary>A project's aliases, kept in its folder: written URLs use them, and the project's data moves by changing one of them.</summary>
public sealed class ProjectAliasesTests : IDisposable
{
    private readonly TempRoot _root = new("project-aliases");
    private readonly TempRoot _data = new("project-aliases-data");

    public void Dispose()
    {
        _root.Dispose();
        _data.Dispose();
    }

    private Url Project => _root.Url.Join("projects/p");

    private static ImageSample Image(int i) => new(2, 2, ImageColorType.Gray8, [(byte)i, 1, 2, 3]);

    [Fact]
    public void Find_ProjectAlias_AfterCodeAndEnvironmentBeforeTheConfigFile()
    {
        var global = new UrlAliases(new Dictionary<string, string> { ["A"] = "/config/a", ["B"] = "/config/b", ["C"] = "/config/c" },
            name => name == "TLC_ALIAS_B" ? "/env/b" : null);
        global.Register("C", "/code/c");
        var project = global.WithProject(new Dictionary<string, string> { ["A"] = "/project/a", ["B"] = "/project/b", ["C"] = "/project/c", ["D"] = "/project/d" });

        Assert.Equal("/project/a", project.Find("A"));
        Assert.Equal("/env/b", project.Find("B"));
        Assert.Equal("/code/c", project.Find("C"));
        Assert.Equal("/project/d", project.Find("D"));
        Assert.Null(global.Find("D"));
        Assert.Equal("/project/d/x.png", project.Expand("<D>/x.png"));
    }

    [Fact(Timeout = 60_000)]
    public async Task RegisterAsync_ThenWriteAndMoveTheData_ValuesUseTheTokenAndReadAfterTheAliasChanges()
    {
        var ct = TestContext.Current.CancellationToken;
        var registry = new UrlAdapterRegistry(new UrlAliases(environment: _ => null));
        await ProjectAliases.RegisterAsync(registry, Project, "DATA", _data.Url.Value, ct);
        await ProjectAliases.RegisterAsync(registry, Project, "OTHER", "file:///elsewhere", ct);
        for (var i = 0; i < 3; i++)
        {
            await File.WriteAllBytesAsync(Path.Combine(_data.Path, $"{i}.png"), Image(i).Encode(), ct);
        }
        Url url;
        await using (var writer = await TableWriter.CreateAsync(new TableWriterOptions
        {
            Schema = new TableSchema { ["image"] = new ImageSchema(ImageSampleType.Png) },
            Project = "p", Dataset = "d", Table = "t", Root = _root.Url, Settings = _root.Settings, Adapters = registry,
        }, ct))
        {
            for (var i = 0; i < 3; i++)
            {
                writer.AddRow(new Dictionary<string, object?> { ["image"] = Path.Combine(_data.Path, $"{i}.png") });
            }
            using var table = await writer.FinalizeAsync(ct);
            url = table.Url;
            Assert.Equal(["<DATA>/0.png", "<DATA>/1.png", "<DATA>/2.png"], table.Rows.Select(r => (string)r["image"]!));
        }

        // The data moves; one line in the project changes (a fresh registry, as another process on another machine).
        using var moved = new TempRoot("project-aliases-moved");
        foreach (var file in Directory.GetFiles(_data.Path))
        {
            File.Move(file, Path.Combine(moved.Path, Path.GetFileName(file)));
        }
        await ProjectAliases.RegisterAsync(registry, Project, "DATA", moved.Url.Value, ct);
        var elsewhere = new UrlAdapterRegistry(new UrlAliases(environment: _ => null));
        using var reopened = await Table.OpenAsync(url, elsewhere, ct);
        for (var i = 0; i < 3; i++)
        {
            Assert.Equal(Image(i).Pixels, Assert.IsType<ImageSample>(reopened[i]["image"]).Pixels);
        }
        Assert.Equal(moved.Url.Join("1.png"), reopened.Expand(reopened.ResolveUrl((string)reopened.Rows[1]["image"]!)));
        var aliases = await ProjectAliases.ReadAsync(elsewhere, Project, ct);
        Assert.Equal(new Dictionary<string, string> { ["DATA"] = moved.Url.Value, ["OTHER"] = "file:///elsewhere" }, aliases);
    }

    [Theory]
    [InlineData("aliases: [unclosed", "not a YAML file of aliases")]
    [InlineData("aliases:\n  lower: /x\n", "aliases.lower: invalid alias name")]
    [InlineData("aliases:\n  EMPTY: \"\"\n", "aliases.EMPTY: no value")]
    public async Task ReadAsync_BadFile_ErrorNamesTheFileAndTheEntry(string text, string expected)
    {
        var ct = TestContext.Current.CancellationToken;
        Directory.CreateDirectory(Project.LocalPath);
        await File.WriteAllTextAsync(Path.Combine(Project.LocalPath, ProjectAliases.FileName), text, ct);

        var e = await Assert.ThrowsAsync<FormatException>(() => ProjectAliases.ReadAsync(new UrlAdapterRegistry(), Project, ct));

        Assert.Contains(Project.Join(ProjectAliases.FileName).Value, e.Message, StringComparison.Ordinal);
        Assert.Contains(expected, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RegisterAsync_InvalidName_Refused()
    {
        var e = await Assert.ThrowsAsync<ArgumentException>(() => ProjectAliases.RegisterAsync(new UrlAdapterRegistry(), Project, "data", "/x", TestContext.Current.CancellationToken));
        Assert.Contains("Invalid alias name 'data'", e.Message, StringComparison.Ordinal);
    }
}
