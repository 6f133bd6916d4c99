using System.Text.Json;
using Tlc.Testing;

namespace Tlc.Cli.Tests;

/// <summary><c>tlc alias</c>: a project's aliases set in its folder and listed with the others.</summary>
public sealed class AliasCommandTests : IDisposable
{
    private readonly TempRoot _root = new("cli-alias");

    public void Dispose() => _root.Dispose();

    [Fact(Timeout = 60_000)]
    public async Task AliasSetThenList_ProjectAliasStoredInTheProjectFolder_ListedAsTheProjects()
    {
        var data = Directory.CreateDirectory(_root.File("data")).FullName;

        var set = await CliProcess.RunAsync(["alias", "set", "DATA", data, "--project", "p", "--root", _root.Path]);
        var list = await CliProcess.RunAsync(["alias", "list", "--project", "p", "--root", _root.Path, "--json"]);
        var other = await CliProcess.RunAsync(["alias", "list", "--project", "q", "--root", _root.Path, "--json"]);

        Assert.True(set.ExitCode == 0, set.Stderr);
        Assert.True(File.Exists(Path.Combine(_root.Path, "projects", "p", "config.yaml")));
        using var json = JsonDocument.Parse(list.Stdout);
        var alias = Assert.Single(json.RootElement.GetProperty("aliases").EnumerateArray(), a => a.GetProperty("name").GetString() == "DATA");
        Assert.Equal(Url.FromLocalPath(data).Value, alias.GetProperty("value").GetString());
        Assert.True(alias.GetProperty("project").GetBoolean());
        using var otherJson = JsonDocument.Parse(other.Stdout);
        Assert.DoesNotContain(otherJson.RootElement.GetProperty("aliases").EnumerateArray(), a => a.GetProperty("name").GetString() == "DATA");
    }

    [Theory(Timeout = 60_000)]
    [InlineData("data", "'data' is no alias name")]
    [InlineData("DATA", "alias set needs --project P")]
    public async Task AliasSet_BadInput_OneLineError(string name, string expected)
    {
        string[] args = name == "DATA" ? ["alias", "set", name, "/x", "--root", _root.Path] : ["alias", "set", name, "/x", "--project", "p", "--root", _root.Path];

        var result = await CliProcess.RunAsync(args);

        Assert.NotEqual(0, result.ExitCode);
        Assert.Contains(expected, result.Stderr, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(_root.Path, "projects", "p", "config.yaml")));
    }
}
