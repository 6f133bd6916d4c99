using Tlc.Tables.Configuration;
using Tlc.Tables.Urls;
using Tlc.Testing;

namespace Tlc.Tables.Tests.Urls;

/// <summary>File URLs restricted to allowed folders (the root, aliases, <c>security.file_roots</c>), on real files and links.</summary>
public sealed class FileRootsTests : IDisposable
{
    private readonly TempRoot _dir = new("file-roots");

    public void Dispose() => _dir.Dispose();

    private (UrlAdapterRegistry Registry, string Root, string Outside) Restricted()
    {
        var root = Directory.CreateDirectory(Path.Combine(_dir.Path, "root")).FullName;
        var outside = Directory.CreateDirectory(Path.Combine(_dir.Path, "outside")).FullName;
        File.WriteAllText(Path.Combine(root, "inside.txt"), "inside");
        File.WriteAllText(Path.Combine(outside, "secret.txt"), "secret");
        var registry = new UrlAdapterRegistry();
        TlcConfiguration.Apply(new TlcOptions { Root = root, Security = { RestrictFileUrls = true } }, registry);
        return (registry, root, outside);
    }

    [Fact]
    public async Task Read_PathInsideTheRoot_IsAllowed()
    {
        var (registry, root, _) = Restricted();
        var bytes = await registry.ReadAllBytesAsync(Url.FromLocalPath(Path.Combine(root, "inside.txt")), TestContext.Current.CancellationToken);
        Assert.Equal("inside", System.Text.Encoding.UTF8.GetString(bytes));
    }

    [Fact]
    public void Read_DotDotTraversalOutOfTheRoot_IsRefusedNamingUrlAndRoots()
    {
        var (registry, root, _) = Restricted();
        var url = new Url($"file://{root}/../outside/secret.txt");
        var e = Assert.Throws<UrlOutsideRootsException>(() => registry.OpenRead(url));
        Assert.Contains($"file://{_dir.Path}/outside/secret.txt is outside the allowed folders", e.Message, StringComparison.Ordinal);
        Assert.Contains($"allowed: {root}", e.Message, StringComparison.Ordinal);
        Assert.Contains("security.file_roots", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Read_SymlinkInsideTheRootPointingOut_IsRefused()
    {
        var (registry, root, outside) = Restricted();
        File.CreateSymbolicLink(Path.Combine(root, "link.txt"), Path.Combine(outside, "secret.txt"));
        Directory.CreateSymbolicLink(Path.Combine(root, "linked-folder"), outside);

        var file = Assert.Throws<UrlOutsideRootsException>(() => registry.OpenRead(Url.FromLocalPath(Path.Combine(root, "link.txt"))));
        Assert.Contains($"resolves through a symbolic link to {outside}/secret.txt", file.Message, StringComparison.Ordinal);
        var folder = Assert.Throws<UrlOutsideRootsException>(() => registry.Exists(Url.FromLocalPath(Path.Combine(root, "linked-folder", "secret.txt"))));
        Assert.Contains($"resolves through a symbolic link to {outside}/secret.txt", folder.Message, StringComparison.Ordinal);
        // Writes are refused the same way.
        Assert.Throws<UrlOutsideRootsException>(() => registry.OpenWrite(Url.FromLocalPath(Path.Combine(root, "linked-folder", "new.txt")), WriteMode.CreateNew));
        Assert.False(File.Exists(Path.Combine(outside, "new.txt")));
    }

    [Fact]
    public void Read_SymlinkInsideTheRootPointingInside_IsAllowed()
    {
        var (registry, root, _) = Restricted();
        File.CreateSymbolicLink(Path.Combine(root, "alias.txt"), Path.Combine(root, "inside.txt"));
        using var stream = registry.OpenRead(Url.FromLocalPath(Path.Combine(root, "alias.txt")));
        Assert.Equal((byte)'i', stream.ReadByte());
    }

    [Fact]
    public void FileRoots_AliasesAndConfiguredFolders_AreAllowed()
    {
        var (_, root, outside) = Restricted();
        var data = Directory.CreateDirectory(Path.Combine(_dir.Path, "data")).FullName;
        var options = new TlcOptions { Root = root, Aliases = { ["DATA"] = data }, Security = { FileRoots = outside } };
        var registry = new UrlAdapterRegistry();
        TlcConfiguration.Apply(options, registry);
        TlcConfiguration.RestrictFiles(options, registry);
        UrlAdapterRegistry.Default.FileRoots = null; // RestrictFiles restricts the process-wide registry too: undo for other tests

        Assert.Equal([root, data, outside], TlcConfiguration.FileRoots(options).Folders);
        Assert.True(registry.Exists(Url.FromLocalPath(Path.Combine(outside, "secret.txt"))));
        Assert.False(registry.Exists(new Url("<DATA>/missing.txt")));
        Assert.Throws<UrlOutsideRootsException>(() => registry.Exists(Url.FromLocalPath("/etc/hostname")));
    }

    [Fact]
    public void Apply_DefaultSettings_FileUrlsAreNotRestricted()
    {
        var (_, _, outside) = Restricted();
        var registry = new UrlAdapterRegistry();
        TlcConfiguration.Apply(new TlcOptions { Root = Path.Combine(_dir.Path, "root") }, registry);
        Assert.Null(registry.FileRoots);
        Assert.True(registry.Exists(Url.FromLocalPath(Path.Combine(outside, "secret.txt"))));
    }
}
