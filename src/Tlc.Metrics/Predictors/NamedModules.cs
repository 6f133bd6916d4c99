using static TorchSharp.torch;

namespace Tlc.Metrics;

/// <summary>
/// A module's sub-modules in PyTorch's <c>named_modules()</c> order, which is what layer indices refer to: index 0 is the
/// root (named ""), then a pre-order walk over the children in registration order, each module once.
/// </summary>
/// <remarks>
/// TorchSharp's own <c>named_modules()</c> leaves the root out and lists all children before any grandchildren, so its
/// positions differ from PyTorch's for nested models; this class gives PyTorch's positions so that indices chosen in
/// Python work unchanged. A TorchSharp module registers its sub-module fields in declaration order.
/// </remarks>
public static class NamedModules
{
    /// <summary>The modules of <paramref name="root"/> in PyTorch's <c>named_modules()</c> order, root first.</summary>
    public static IReadOnlyList<(string Name, nn.Module Module)> Of(nn.Module root)
    {
        ArgumentNullException.ThrowIfNull(root);
        var result = new List<(string, nn.Module)>();
        var seen = new HashSet<nn.Module>(ReferenceEqualityComparer.Instance);
        Walk(root, "", result, seen);
        return result;
    }

    /// <summary>A readable listing ("0: (root) FashionMnistCnn", "1: conv1 Conv2d", ...), for documentation and errors.</summary>
    public static string Describe(nn.Module root) =>
        string.Join(", ", Of(root).Select((m, i) => $"{i}: {(m.Name.Length == 0 ? "(root)" : m.Name)} {m.Module.GetType().Name}"));

    private static void Walk(nn.Module module, string name, List<(string, nn.Module)> result, HashSet<nn.Module> seen)
    {
        if (!seen.Add(module))
        {
            return;
        }
        result.Add((name, module));
        foreach (var (childName, child) in module.named_children())
        {
            Walk(child, name.Length == 0 ? childName : $"{name}.{childName}", result, seen);
        }
    }
}
