using System.Collections.Concurrent;
using System.Reflection;
using System.Runtime.Loader;
using Tlc.Tables.Urls;

namespace Tlc.Metrics;

/// <summary>
/// The assembly load context of one plugin folder. TorchSharp, Tlc.Abstractions, Tlc.Tables and Tlc.Metrics — and any
/// other assembly the application itself can load — come from the default context, so a plugin's factories implement
/// the very interfaces the host uses and exchange tensors and tables with it; the plugin's own dependencies load from
/// its folder (native libraries too).
/// </summary>
internal sealed class PluginLoadContext : AssemblyLoadContext
{
    /// <summary>Assemblies always shared with the host, even when a plugin folder holds copies of them.</summary>
    private static readonly HashSet<string> Shared = new(StringComparer.OrdinalIgnoreCase)
    {
        "TorchSharp", "Tlc.Abstractions", "Tlc.Tables", "Tlc.Metrics",
    };

    // Loaded folders, by full path: assemblies cannot be loaded twice into one process meaningfully, so a folder is
    // loaded once and its assemblies reused by every registry that asks.
    private static readonly ConcurrentDictionary<string, Lazy<IReadOnlyList<Assembly>>> Folders = new(StringComparer.Ordinal);

    private readonly string _folder;

    private PluginLoadContext(string folder)
        : base($"Tlc plugins: {folder}")
    {
        _folder = folder;
    }

    /// <summary>
    /// The plugin assemblies of <paramref name="folder"/> (every managed *.dll that is not the host's), loaded once per
    /// process. Only files that lie in the folder load: a symbolic link in it that points out of it is refused.
    /// </summary>
    /// <exception cref="DirectoryNotFoundException">The folder does not exist.</exception>
    /// <exception cref="MetricsSpecException">A file of the folder is a symbolic link to a file outside it.</exception>
    public static IReadOnlyList<Assembly> LoadFolder(string folder)
    {
        ArgumentException.ThrowIfNullOrEmpty(folder);
        var full = Path.GetFullPath(folder);
        if (!Directory.Exists(full))
        {
            throw new DirectoryNotFoundException($"Plugin folder {full} does not exist.");
        }
        // The folder itself may be a link (a deployment's "current" folder): what counts is where it resolves to.
        var real = FileRoots.RealPath(full);
        return Folders.GetOrAdd(real, f => new Lazy<IReadOnlyList<Assembly>>(() => new PluginLoadContext(f).LoadAll())).Value;
    }

    /// <summary>
    /// Refuses a factory name that is an assembly path (<c>/x/evil.dll</c>, <c>..\a.dll</c>): specs name factories, and
    /// assemblies load only from the plugin folders a worker was started with.
    /// </summary>
    /// <exception cref="MetricsSpecException">The name holds a path separator or ends in <c>.dll</c>.</exception>
    public static void RefuseAssemblyPath(string name, string what)
    {
        if (name.Contains('/', StringComparison.Ordinal) || name.Contains('\\', StringComparison.Ordinal) || name.EndsWith(".dll", StringComparison.OrdinalIgnoreCase))
        {
            throw new MetricsSpecException(
                $"'{name}' names an assembly path, not a {what}: assemblies load only from the plugin folders a process is started with (--plugins DIR); a spec names a factory by its name.");
        }
    }

    /// <summary>The path of a file of this folder, refused when it is a symbolic link resolving outside the folder.</summary>
    private string InFolder(string path)
    {
        var real = FileRoots.RealPath(path);
        if (!real.StartsWith(_folder + Path.DirectorySeparatorChar, StringComparison.Ordinal))
        {
            throw new MetricsSpecException($"Plugin {path} is a symbolic link to {real}, outside the plugin folder {_folder}: plugins load only from their folders.");
        }
        return real;
    }

    /// <summary>The public, concrete types of <paramref name="assemblies"/> assignable to <typeparamref name="T"/> with a public parameterless constructor.</summary>
    public static IEnumerable<Type> Implementations<T>(IEnumerable<Assembly> assemblies)
    {
        foreach (var assembly in assemblies)
        {
            Type[] types;
            try
            {
                types = assembly.GetExportedTypes();
            }
            catch (Exception e) when (e is ReflectionTypeLoadException or FileNotFoundException or FileLoadException or TypeLoadException)
            {
                throw new MetricsSpecException($"Plugin {assembly.Location} cannot be inspected: {e.Message}", e);
            }
            foreach (var type in types.OrderBy(t => t.FullName, StringComparer.Ordinal))
            {
                if (type is { IsClass: true, IsAbstract: false, ContainsGenericParameters: false }
                    && typeof(T).IsAssignableFrom(type)
                    && type.GetConstructor(Type.EmptyTypes) is not null)
                {
                    yield return type;
                }
            }
        }
    }

    /// <inheritdoc />
    protected override Assembly? Load(AssemblyName assemblyName)
    {
        if (IsHost(assemblyName))
        {
            return null; // the default context's copy
        }
        var path = Path.Combine(_folder, assemblyName.Name + ".dll");
        return File.Exists(path) ? LoadFromAssemblyPath(InFolder(path)) : null;
    }

    /// <inheritdoc />
    protected override IntPtr LoadUnmanagedDll(string unmanagedDllName)
    {
        foreach (var candidate in new[] { unmanagedDllName, $"lib{unmanagedDllName}.so", $"{unmanagedDllName}.so", $"{unmanagedDllName}.dll" })
        {
            var path = Path.Combine(_folder, candidate);
            if (File.Exists(path))
            {
                return LoadUnmanagedDllFromPath(InFolder(path));
            }
        }
        return IntPtr.Zero;
    }

    private IReadOnlyList<Assembly> LoadAll()
    {
        var loaded = new List<Assembly>();
        foreach (var link in Directory.GetFiles(_folder, "*.dll").Order(StringComparer.Ordinal))
        {
            var file = InFolder(link);
            AssemblyName name;
            try
            {
                name = AssemblyName.GetAssemblyName(file);
            }
            catch (BadImageFormatException)
            {
                continue; // a native library
            }
            if (IsHost(name))
            {
                continue;
            }
            try
            {
                loaded.Add(LoadFromAssemblyPath(file));
            }
            catch (Exception e) when (e is FileLoadException or BadImageFormatException)
            {
                throw new MetricsSpecException($"Plugin {file} cannot be loaded: {e.Message}", e);
            }
        }
        return loaded;
    }

    private static bool IsHost(AssemblyName name)
    {
        if (name.Name is null || Shared.Contains(name.Name))
        {
            return true;
        }
        try
        {
            Default.LoadFromAssemblyName(name);
            return true;
        }
        catch (Exception e) when (e is FileNotFoundException or FileLoadException)
        {
            return false;
        }
    }
}
