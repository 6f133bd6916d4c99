using Tlc.Schemas;
using Tlc.Tables.Storage;
using Tlc.Tables.Urls;
using Tlc.Testing;

namespace Tlc.Tables.Tests.Urls;

public sealed class UrlAliasesTests : IDisposable
{
    private readonly TempRoot _root = new("aliases");

    public void Dispose() => _root.Dispose();

    private static Func<string, string?> Environment(params (string Name, string Value)[] variables) =>
        name => variables.FirstOrDefault(v => v.Name == name).Value;

    private async Task<Table> WriteAsync(UrlAdapterRegistry registry, Url root)
    {
        await using var writer = await TableWriter.CreateAsync(new TableWriterOptions
        {
            Schema = new TableSchema { ["id"] = new Int64Schema() }, Project = "p", Dataset = "d", Table = "t",
            Root = root, Adapters = registry, Settings = _root.Settings,
        });
        for (long i = 0; i < 10; i++)
        {
            writer.AddRow(new Dictionary<string, object?> { ["id"] = i });
        }
        return await writer.FinalizeAsync();
    }

    [Fact]
    public async Task RegisteredAlias_TableWrittenAndOpenedThroughIt()
    {
        var registry = new UrlAdapterRegistry(new UrlAliases(environment: Environment()));
        registry.Aliases.Register("DATA", _root.Path + "/");

        using var written = await WriteAsync(registry, new Url("<DATA>"));
        using var table = await Table.OpenAsync(new Url("<DATA>/projects/p/datasets/d/tables/t"), registry);

        Assert.Equal(10, table.RowCount);
        Assert.Equal(7L, table.Rows[7]["id"]);
        Assert.Equal(_root.Url.Join("projects/p/datasets/d/tables/t"), table.Url);
        Assert.True(File.Exists(Path.Combine(_root.Path, "projects/p/datasets/d/tables/t", TableObject.FileName)));
        Assert.Equal(_root.Url.Join("images/a.png"), registry.Expand(new Url("<DATA>/images/a.png")));
    }

    [Fact]
    public async Task EnvironmentAlias_ExpandsThroughInjectedLookup()
    {
        var aliases = new UrlAliases(environment: Environment(("TLC_ALIAS_DATA", _root.Path)));
        var registry = new UrlAdapterRegistry(aliases);

        using var written = await WriteAsync(registry, new Url("<DATA>"));
        using var table = await Table.OpenAsync(new Url("<DATA>/projects/p/datasets/d/tables/t"), registry);

        Assert.Equal(3L, table.Rows[3]["id"]);
        Assert.Equal(_root.Path, aliases.Find("DATA"));
        Assert.Equal($"{_root.Path}/x/y.jpg", aliases.Expand("<DATA>/x/y.jpg"));
    }

    [Fact]
    public void AliasSources_RegisteredBeatsEnvironmentBeatsConfigured()
    {
        var aliases = new UrlAliases(
            new Dictionary<string, string> { ["A"] = "/configured/a", ["B"] = "/configured/b", ["C"] = "/configured/c" },
            Environment(("TLC_ALIAS_A", "/env/a"), ("TLC_ALIAS_B", "/env/b")));
        aliases.Register("A", "/registered/a");

        Assert.Equal("/registered/a/x /env/b/x /configured/c/x", aliases.Expand("<A>/x <B>/x <C>/x"));
        aliases.Reset();
        Assert.Equal("/env/a", aliases.Find("A"));
    }

    [Fact]
    public async Task UnknownAlias_ErrorSaysHowToDefineIt()
    {
        var registry = new UrlAdapterRegistry(new UrlAliases(environment: Environment()));

        var e = Assert.Throws<ArgumentException>(() => registry.Expand(new Url("<NOPE>/projects/p")));
        Assert.Contains("Unknown URL alias <NOPE>", e.Message, StringComparison.Ordinal);
        Assert.Contains("TLC_ALIAS_NOPE", e.Message, StringComparison.Ordinal);
        Assert.Contains("UrlAliases.Register", e.Message, StringComparison.Ordinal);
        var open = await Assert.ThrowsAsync<ArgumentException>(() => Table.OpenAsync(new Url("<NOPE>/projects/p/datasets/d/tables/t"), registry));
        Assert.Contains("<NOPE>", open.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("data")]
    [InlineData("1DATA")]
    [InlineData("DA-TA")]
    [InlineData("")]
    public void Register_InvalidName_IsRefused(string name)
    {
        var aliases = new UrlAliases(environment: Environment());
        Assert.Throws<ArgumentException>(() => aliases.Register(name, "/x"));
    }
}
