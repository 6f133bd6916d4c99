using System.Text.RegularExpressions;

namespace Tlc;

/// <summary>Validates the names of projects, datasets, tables and runs, which become folder names.</summary>
public static partial class Names
{
    [GeneratedRegex("^[A-Za-z0-9][A-Za-z0-9._=+-]{0,199}$")]
    private static partial Regex SafeName();

    /// <summary>True when <paramref name="name"/> is a safe single path segment.</summary>
    public static bool IsValid(string? name) => name is not null && SafeName().IsMatch(name) && !name.Contains("..", StringComparison.Ordinal);

    /// <summary>Throws naming <paramref name="what"/> when <paramref name="name"/> is not a safe single path segment.</summary>
    public static string Validate(string? name, string what)
    {
        if (!IsValid(name))
        {
            throw new ArgumentException(
                $"Invalid {what} name '{name}': use letters, digits and . _ - = + (not starting with a symbol, no '..', no '/').", what);
        }
        return name!;
    }
}
