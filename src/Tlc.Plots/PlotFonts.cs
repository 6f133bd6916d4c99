using ScottPlot;
using SkiaSharp;

namespace Tlc.Plots;

/// <summary>
/// The font the charts' text is drawn with. SkiaSharp's Linux native build without dependencies has no font manager
/// (no fontconfig), so a headless Linux machine yields empty typefaces and charts without text: there, a font file is
/// looked up in the usual folders and registered with ScottPlot under <see cref="Family"/>.
/// </summary>
internal static class PlotFonts
{
    /// <summary>The family name under which a font file is registered with ScottPlot.</summary>
    public const string Family = "Tlc Plot Sans";

    private static readonly Lock Gate = new();

    private static readonly string[] Preferred =
    [
        "DejaVuSans.ttf", "LiberationSans-Regular.ttf", "NotoSans-Regular.ttf", "Arial.ttf", "arial.ttf", "Helvetica.ttc", "FreeSans.ttf",
    ];

    /// <summary>
    /// The family to set on a plot: <see cref="Family"/> bound to <paramref name="fontFile"/> (or a font found on the
    /// machine when the system has no usable default), null to keep ScottPlot's default; <paramref name="note"/> says
    /// when no font was found.
    /// </summary>
    public static string? Resolve(string? fontFile, out string? note)
    {
        note = null;
        if (fontFile is not null)
        {
            if (!File.Exists(fontFile))
            {
                throw new FileNotFoundException($"The font file {fontFile} does not exist.", fontFile);
            }
            return Register(fontFile);
        }
        if (SystemHasFont())
        {
            return null;
        }
        if (Find() is { } found)
        {
            return Register(found);
        }
        note = "No font was found (SkiaSharp has no system fonts here and no DejaVu/Liberation/Noto font is installed): charts are drawn without text; give a font file (--font).";
        return null;
    }

    private static bool SystemHasFont()
    {
        // The shared default typeface: not disposed.
        return SKTypeface.Default.GlyphCount > 0;
    }

    private static string? Find()
    {
        var home = Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
        var folders = new[]
        {
            "/usr/share/fonts", "/usr/local/share/fonts", Path.Combine(home, ".local/share/fonts"), Path.Combine(home, ".fonts"),
            "/Library/Fonts", "/System/Library/Fonts", Environment.GetFolderPath(Environment.SpecialFolder.Fonts),
        }.Where(f => !string.IsNullOrEmpty(f) && Directory.Exists(f)).Distinct(StringComparer.Ordinal).ToList();
        var files = folders.SelectMany(f => Enumerate(f)).ToList();
        foreach (var name in Preferred)
        {
            if (files.FirstOrDefault(f => Path.GetFileName(f) == name) is { } hit)
            {
                return hit;
            }
        }
        return files.Where(f => f.EndsWith(".ttf", StringComparison.OrdinalIgnoreCase)).Order(StringComparer.Ordinal).FirstOrDefault();
    }

    private static IEnumerable<string> Enumerate(string folder)
    {
        try
        {
            return Directory.EnumerateFiles(folder, "*.tt?", new EnumerationOptions { RecurseSubdirectories = true, IgnoreInaccessible = true }).ToList();
        }
        catch (IOException)
        {
            return [];
        }
    }

    /// <summary>Binds <see cref="Family"/> to <paramref name="file"/> (and its bold sibling when there is one) in ScottPlot's resolvers.</summary>
    private static string Register(string file)
    {
        var path = Path.GetFullPath(file);
        lock (Gate)
        {
            // ScottPlot's font registry is process-wide: replace an earlier binding rather than stacking them.
            Fonts.FontResolvers.RemoveAll(r => r is FileResolver);
            var bold = Path.Combine(Path.GetDirectoryName(path)!, Path.GetFileNameWithoutExtension(path).Replace("-Regular", "", StringComparison.Ordinal) + "-Bold" + Path.GetExtension(path));
            Fonts.FontResolvers.Insert(0, new FileResolver(path, File.Exists(bold) ? bold : path));
        }
        return Family;
    }

    /// <summary>Resolves <see cref="Family"/> to the font files.</summary>
    private sealed class FileResolver(string regular, string boldFile) : IFontResolver
    {
        public SKTypeface? CreateTypeface(string fontName, FontWeight weight, FontSlant slant, FontSpacing width) =>
            Create(fontName, (int)weight >= (int)FontWeight.SemiBold);

        public SKTypeface? CreateTypeface(string fontName, bool bold, bool italic) => Create(fontName, bold);

        private SKTypeface? Create(string fontName, bool isBold) => fontName == Family ? SKTypeface.FromFile(isBold ? boldFile : regular) : null;
    }
}
