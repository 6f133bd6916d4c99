using System.Text;
using Tlc.Schemas;

namespace Tlc.Metrics.Collectors;

/// <summary>
/// Column names derived from class names, e.g. <c>iou_person</c>: characters other than ASCII letters, digits and
/// <c>_</c> become <c>_</c>, runs of <c>_</c> collapse and leading/trailing ones go (<c>tv/monitor</c> → <c>tv_monitor</c>,
/// <c>_background_</c> → <c>background</c>). A name left empty, or one already taken, gets the class value appended.
/// </summary>
public static class ClassColumnNames
{
    /// <summary>The column of each class: <paramref name="prefix"/> + the cleaned class name.</summary>
    public static IReadOnlyDictionary<long, string> For(string prefix, ValueMap classes)
    {
        ArgumentNullException.ThrowIfNull(prefix);
        ArgumentNullException.ThrowIfNull(classes);
        var result = new Dictionary<long, string>();
        var taken = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (value, element) in classes)
        {
            var clean = Clean(element.InternalName);
            var name = clean.Length == 0 ? $"{prefix}{value}" : prefix + clean;
            if (!taken.Add(name))
            {
                name = $"{name}_{value}";
                taken.Add(name);
            }
            result[value] = name;
        }
        return result;
    }

    /// <summary>The cleaned form of a class name (see the type's remarks).</summary>
    public static string Clean(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        var s = new StringBuilder(name.Length);
        foreach (var ch in name)
        {
            var keep = char.IsAsciiLetterOrDigit(ch);
            if (keep)
            {
                s.Append(ch);
            }
            else if (s.Length > 0 && s[^1] != '_')
            {
                s.Append('_');
            }
        }
        while (s.Length > 0 && s[^1] == '_')
        {
            s.Length--;
        }
        return s.ToString();
    }
}
