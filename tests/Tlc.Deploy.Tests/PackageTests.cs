using System.IO.Compression;
using System.Text.Json;
using System.Xml.Linq;
using Tlc.Tables;
using Tlc.Testing;

namespace Tlc.Deploy.Tests;

/// <summary>
/// What .NET users install, from the folder feed deploy/pack.sh writes: a package per project under src/ with its
/// version, description, README and symbols; the tool Tlc.Cli installed with <c>dotnet tool install</c> (into a folder of
/// the test's with <c>--tool-path</c>, which is what <c>-g</c> does into ~/.dotnet/tools) runs <c>tlc --help</c> and an
/// import; a fresh console app outside the repository (none of its Directory.*.props apply) references Tlc.Sdk and runs
/// the README's code sample. About 4 min on two cores, most of it packing and extracting the tool (≈ 300 MB, libtorch).
/// </summary>
public sealed class PackageTests(PackedFeed feed) : IClassFixture<PackedFeed>
{
    /// <summary>Each project under src/: (package id, assembly name, description).</summary>
    private static IEnumerable<(string Id, string Assembly, string Description)> SourceProjects() =>
        Directory.EnumerateFiles(Path.Combine(Fixtures.RepositoryRoot, "src"), "*.csproj", SearchOption.AllDirectories).Order(StringComparer.Ordinal).Select(path =>
        {
            var project = XDocument.Load(path);
            string? Property(string name) => project.Descendants(name).Select(e => e.Value).FirstOrDefault();
            var name = Path.GetFileNameWithoutExtension(path);
            return (Property("PackageId") ?? name, Property("AssemblyName") ?? name, Property("Description") ?? "");
        });

    private string PackageFile(string id, string extension = "nupkg") => Path.Combine(feed.Feed, $"{id}.{feed.Version}.{extension}");

    /// <summary>The nuspec's metadata, its elements in no namespace (the nuspec schema's namespace varies with what the package uses).</summary>
    private static XElement Metadata(ZipArchive package)
    {
        var nuspec = XDocument.Load(package.Entries.Single(e => e.FullName.EndsWith(".nuspec", StringComparison.Ordinal)).Open());
        foreach (var element in nuspec.Descendants())
        {
            element.Name = element.Name.LocalName;
        }
        return nuspec.Root!.Element("metadata")!;
    }

    private static string Text(ZipArchive package, string entry)
    {
        using var reader = new StreamReader((package.GetEntry(entry) ?? throw new Xunit.Sdk.XunitException($"no {entry} in the package")).Open());
        return reader.ReadToEnd();
    }

    [Fact(Timeout = 120_000)]
    public void Packages_EveryProjectUnderSrc_VersionDescriptionReadmeSymbolsAndDependenciesInTheFeed()
    {
        var ids = SourceProjects().Select(p => p.Id).ToHashSet(StringComparer.Ordinal);
        Assert.Superset(new HashSet<string>(["Tlc.Abstractions", "Tlc.Tables", "Tlc.Sdk", "Tlc.Metrics", "Tlc.Plots", "Tlc.Cli"]), ids);
        foreach (var (id, assembly, description) in SourceProjects())
        {
            Assert.True(File.Exists(PackageFile(id)), $"{id}: no {Path.GetFileName(PackageFile(id))} (deploy/pack.sh:\n{feed.Log})");
            using var package = ZipFile.OpenRead(PackageFile(id));
            var metadata = Metadata(package);
            Assert.Equal((id, feed.Version), ((string)metadata.Element("id")!, (string)metadata.Element("version")!));
            Assert.Equal((id, description), (id, (string)metadata.Element("description")!));
            Assert.True(description.Length > 40 && description.EndsWith('.'), $"{id}: its description should be a sentence or more: '{description}'");
            Assert.False(string.IsNullOrWhiteSpace((string?)metadata.Element("authors")), id);
            Assert.Equal("README.md", (string?)metadata.Element("readme"));
            var readme = Text(package, "README.md");
            Assert.StartsWith($"# {id}\n\n{description}\n", readme.ReplaceLineEndings("\n"), StringComparison.Ordinal);
            Assert.Contains("dotnet tool install -g Tlc.Cli", readme, StringComparison.Ordinal);
            // The sample the app test runs (src/PACKAGE.md repeats the README's).
            Assert.Contains(ReadmeTests.InCodeSample(), readme.ReplaceLineEndings("\n"), StringComparison.Ordinal);

            // Every Tlc package a package depends on is in the feed, of the same version.
            foreach (var dependency in metadata.Descendants("dependency").Where(d => ((string)d.Attribute("id")!).StartsWith("Tlc.", StringComparison.Ordinal)))
            {
                Assert.Equal((id, (string)dependency.Attribute("id")!, feed.Version), (id, (string)dependency.Attribute("id")!, (string)dependency.Attribute("version")!));
                Assert.Contains((string)dependency.Attribute("id")!, ids);
            }

            Assert.True(File.Exists(PackageFile(id, "snupkg")), $"{id}: no symbol package");
            using var symbols = ZipFile.OpenRead(PackageFile(id, "snupkg"));
            if (id == "Tlc.Cli")
            {
                Assert.Equal("DotnetTool", (string?)metadata.Element("packageTypes")?.Element("packageType")?.Attribute("name"));
                Assert.Empty(metadata.Descendants("dependency"));
                var settings = XDocument.Parse(Text(package, "tools/net10.0/any/DotnetToolSettings.xml"));
                var command = settings.Descendants("Command").Single();
                Assert.Equal(("tlc", "tlc.dll", "dotnet"), ((string)command.Attribute("Name")!, (string)command.Attribute("EntryPoint")!, (string)command.Attribute("Runner")!));
                Assert.NotNull(package.GetEntry("tools/net10.0/any/runtimes/linux-x64/native/libtorch_cpu.so"));
                Assert.NotNull(package.GetEntry("tools/net10.0/any/runtimes/win-x64/native/libSkiaSharp.dll"));
                Assert.DoesNotContain(package.Entries, e => e.FullName.Contains("/runtimes/ios/", StringComparison.Ordinal)
                    || e.FullName.Contains("/runtimes/android/", StringComparison.Ordinal)
                    || (e.FullName.Contains("/runtimes/", StringComparison.Ordinal) && e.FullName.EndsWith(".pdb", StringComparison.Ordinal)));
                Assert.NotNull(symbols.GetEntry("tools/net10.0/any/tlc.pdb"));
            }
            else
            {
                Assert.NotNull(package.GetEntry($"lib/net10.0/{assembly}.dll"));
                Assert.NotNull(package.GetEntry($"lib/net10.0/{assembly}.xml"));
                Assert.NotNull(symbols.GetEntry($"lib/net10.0/{assembly}.pdb"));
            }
        }
    }

    [Fact(Timeout = 300_000)]
    public async Task ToolInstall_FromTheFeed_TlcHelpAndImportCsvMakeTheTable()
    {
        var tools = Path.Combine(feed.Folder, "tools");
        var install = await feed.RunAsync("dotnet", ["tool", "install", "Tlc.Cli", "--version", feed.Version, "--tool-path", tools, "--configfile", feed.NuGetConfig],
            feed.Folder, timeout: TimeSpan.FromMinutes(4));
        Assert.True(install.ExitCode == 0, install.Output);
        Assert.Contains("tlc", install.Output, StringComparison.Ordinal);
        var tlc = Path.Combine(tools, "tlc");
        Assert.True(File.Exists(tlc), $"no tlc in {tools}: {install.Output}");

        var help = await feed.RunAsync(tlc, ["--help"], feed.Folder);
        Assert.True(help.ExitCode == 0, help.Output);
        foreach (var verb in new[] { "import", "export", "table", "run", "silo", "worker" })
        {
            Assert.Contains($"  {verb} ", help.Output, StringComparison.Ordinal);
        }

        var root = Path.Combine(feed.Folder, "tool-root");
        var csv = Path.Combine(feed.Folder, "pets.csv");
        await File.WriteAllTextAsync(csv, "id,name,score\n1,cat,0.5\n2,dog,1.5\n3,bird,2.5\n", TestContext.Current.CancellationToken);
        var import = await feed.RunAsync(tlc, ["import", "csv", csv, "--project", "pets", "--dataset", "animals", "--table", "v1", "--json", "--root", root], feed.Folder);
        Assert.True(import.ExitCode == 0, import.Output);
        using var json = JsonDocument.Parse(import.Output);
        Assert.Equal(3, json.RootElement.GetProperty("rows").GetInt64());
        using var table = await Table.OpenAsync(json.RootElement.GetProperty("url").GetString()!, cancellationToken: TestContext.Current.CancellationToken);
        Assert.Equal(3, table.RowCount);
        Assert.StartsWith(Path.Combine(root, "projects", "pets", "datasets", "animals", "tables", "v1"), table.Url.LocalPath, StringComparison.Ordinal);
        Assert.Equal(["cat", "dog", "bird"], table.Rows.Select(r => (string)r["name"]!));
        Assert.Equal([0.5, 1.5, 2.5], table.Rows.Select(r => Convert.ToDouble(r["score"], System.Globalization.CultureInfo.InvariantCulture)));
    }

    [Fact(Timeout = 300_000)]
    public async Task ConsoleApp_ReferencingTlcSdkFromTheFeed_RunsTheReadmeSample()
    {
        var sample = ReadmeTests.InCodeSample();
        var app = Path.Combine(feed.Folder, "app");
        var created = await feed.RunAsync("dotnet", ["new", "console", "--output", app, "--name", "PetsApp", "--no-restore"], feed.Folder);
        Assert.True(created.ExitCode == 0, created.Output);
        // The fixture's nuget.config is in a folder above the app: NuGet finds it there, as it would a user's.
        var added = await feed.RunAsync("dotnet", ["add", "package", "Tlc.Sdk", "--version", feed.Version], app, timeout: TimeSpan.FromMinutes(3));
        Assert.True(added.ExitCode == 0, added.Output);
        Assert.Contains($"<PackageReference Include=\"Tlc.Sdk\" Version=\"{feed.Version}\" />", await File.ReadAllTextAsync(Path.Combine(app, "PetsApp.csproj"), TestContext.Current.CancellationToken), StringComparison.Ordinal);
        await File.WriteAllTextAsync(Path.Combine(app, "Program.cs"), sample, TestContext.Current.CancellationToken);

        var root = Path.Combine(feed.Folder, "app-root");
        var run = await feed.RunAsync("dotnet", ["run", "-c", "Release"], app, new Dictionary<string, string?> { ["TLC_ROOT"] = root }, TimeSpan.FromMinutes(3));
        Assert.True(run.ExitCode == 0, run.Output);
        Assert.DoesNotContain("warning", run.Output, StringComparison.OrdinalIgnoreCase);

        // The sample prints the table's URL, its first sample and its revision; the files are where the root says.
        var folder = Path.Combine(root, "projects", "pets", "datasets", "train", "tables", "v1");
        Assert.Contains(Url.FromLocalPath(folder).ToString(), run.Output, StringComparison.Ordinal);
        Assert.Contains("label 1, 1 box; revised: label 0, weight 2", run.Output, StringComparison.Ordinal);
        using var table = await Table.OpenAsync(Url.FromLocalPath(folder), cancellationToken: TestContext.Current.CancellationToken);
        Assert.Equal(1, table.RowCount);
        using var latest = await table.LatestAsync(cancellationToken: TestContext.Current.CancellationToken);
        Assert.NotEqual(table.Url, latest.Url);
        Assert.Equal(2f, Convert.ToSingle(latest.Rows[0]["weight"], System.Globalization.CultureInfo.InvariantCulture));
    }
}

/// <summary>The README's install instructions and the code sample the package test runs.</summary>
public sealed class ReadmeTests
{
    private static string Readme() => File.ReadAllText(Path.Combine(Fixtures.RepositoryRoot, "README.md")).ReplaceLineEndings("\n");

    private static string Section(string heading)
    {
        var readme = Readme();
        var start = readme.IndexOf($"\n## {heading}\n", StringComparison.Ordinal);
        Assert.True(start >= 0, $"README.md has no section '{heading}'");
        var end = readme.IndexOf("\n## ", start + 1, StringComparison.Ordinal);
        return readme[start..(end < 0 ? readme.Length : end)];
    }

    /// <summary>The first C# block of the README's "In code" section: a program that writes and reads a table.</summary>
    public static string InCodeSample()
    {
        var section = Section("In code");
        var start = section.IndexOf("```csharp\n", StringComparison.Ordinal) + "```csharp\n".Length;
        return section[start..section.IndexOf("\n```", start, StringComparison.Ordinal)] + "\n";
    }

    [Fact]
    public void Install_ToolAndLibraries_FromTheFolderFeedDeployPackShWrites()
    {
        var install = Section("Install");
        foreach (var text in new[]
        {
            "deploy/pack.sh", "artifacts/packages", "dotnet tool install -g Tlc.Cli --add-source", "--tool-path",
            "dotnet add package Tlc.Sdk --source", "nuget.config", "no public", "~/.dotnet/tools",
        })
        {
            Assert.Contains(text, install, StringComparison.Ordinal);
        }
        Assert.Contains("artifacts/packages", File.ReadAllText(DeployFiles.PathOf("pack.sh")), StringComparison.Ordinal);
    }

    [Fact]
    public void InCodeSample_WritesAndReadsATable_NeedsNoFiles()
    {
        var sample = InCodeSample();
        Assert.Contains("TableWriter.CreateAsync", sample, StringComparison.Ordinal);
        Assert.Contains("FinalizeAsync()", sample, StringComparison.Ordinal);
        Assert.Contains("table[0]", sample, StringComparison.Ordinal);
        Assert.Contains("Console.WriteLine", sample, StringComparison.Ordinal);
        Assert.DoesNotContain("FromCocoAsync", sample, StringComparison.Ordinal);
    }
}
