using System.Text;
using System.Text.Json.Nodes;
using Apache.Arrow;
using Apache.Arrow.Ipc;
using Apache.Arrow.Types;
using Tlc.Tables.Urls;

namespace Tlc.Tables.Storage;

/// <summary>Where a bulk data file lies: the prefixes that guard it and the write folder it belongs to.</summary>
/// <param name="Scope">
/// Kept whole while an object file there cannot be read: the dataset's <c>bulk_data/</c> folder (laid-out tables), or the
/// table folder (a table outside the layout keeps its bulk data in <c>&lt;table&gt;/bulk_data/</c>).
/// </param>
/// <param name="Table">The bulk folder of one table (<c>…/bulk_data/&lt;table&gt;/</c>, or the table folder outside the layout).</param>
/// <param name="WriteFolder">The folder of the write that saved the file (<c>…/&lt;write id&gt;</c>), the highest emptied folder removed; null when none.</param>
internal sealed record BulkLocation(string Scope, string Table, Url? WriteFolder);

/// <summary>
/// Finds bulk data files (images a writer saved, under <c>&lt;dataset&gt;/bulk_data/&lt;table&gt;/&lt;write id&gt;/</c>) and the
/// bulk URLs tables hold as values, normalised as a listing gives them.
/// </summary>
internal static class BulkReferences
{
    /// <summary>The name of the folder bulk data goes to.</summary>
    public const string FolderName = TableLayout.BulkDataFolderName;

    private static readonly byte[] Marker = Encoding.UTF8.GetBytes(FolderName);

    /// <summary>Where the file at <paramref name="file"/> lies as bulk data under <paramref name="root"/>, or null when it is not bulk data.</summary>
    /// <param name="file">The file's URL.</param>
    /// <param name="root">The expanded root URL's text.</param>
    /// <param name="tableFolders">The folders (URL text) that hold a table: an object file or chunk files.</param>
    public static BulkLocation? Locate(Url file, string root, IReadOnlySet<string> tableFolders)
    {
        const string Segment = "/" + FolderName + "/";
        var value = file.Value;
        var prefix = root.TrimEnd('/');
        if (!value.StartsWith(prefix + "/", StringComparison.Ordinal))
        {
            return null;
        }
        var from = prefix.Length;
        int at;
        while ((at = value.IndexOf(Segment, from, StringComparison.Ordinal)) >= 0)
        {
            from = at + 1;
            var holder = value[..at];
            var after = value[(at + Segment.Length)..].Split('/');
            var tail = holder.Split('/');
            if (tail.Length >= 4 && tail[^2] == "datasets" && tail[^4] == "projects" && after.Length >= 2)
            {
                // <root>/projects/<p>/datasets/<d>/bulk_data/<table>/<write id>/…
                var table = $"{holder}{Segment}{after[0]}";
                return new BulkLocation($"{holder}{Segment}", table + "/", after.Length >= 3 ? new Url($"{table}/{after[1]}") : (Url?)null);
            }
            if (tableFolders.Contains(holder))
            {
                // A table outside the layout: <table>/bulk_data/<write id>/…
                return new BulkLocation(holder + "/", holder + "/", after.Length >= 2 ? new Url($"{holder}{Segment}{after[0]}") : (Url?)null);
            }
        }
        return null;
    }

    /// <summary>The prefix an unreadable object file in <paramref name="tableFolder"/> keeps whole (see <see cref="BulkLocation.Scope"/>).</summary>
    public static string Scope(Url tableFolder) => TableLayout.Parse(tableFolder) is not null
        ? TableLayout.BulkData(tableFolder).Parent.Value + "/"
        : tableFolder.Value + "/";

    /// <summary>The bulk folder prefix of the table at <paramref name="tableFolder"/>, when it follows the layout (outside it, the table folder holds it).</summary>
    public static string? TableBulkFolder(Url tableFolder) => TableLayout.Parse(tableFolder) is not null
        ? TableLayout.BulkData(tableFolder).Value + "/"
        : null;

    /// <summary>
    /// The strings of an object file that may name bulk data: values of its edits and defaults of its schema overrides
    /// (the rows themselves are in chunk files).
    /// </summary>
    public static IEnumerable<string> ObjectStrings(TableObject table)
    {
        var found = new List<string>();
        foreach (var edits in table.Edits?.Values ?? Enumerable.Empty<ColumnEditsInfo>())
        {
            Collect(edits.RunsAndValues, found);
        }
        foreach (var schema in table.SchemaOverrides?.Values ?? Enumerable.Empty<JsonNode?>())
        {
            Collect(schema, found);
        }
        return found;
    }

    /// <summary>
    /// Reads the strings that may name bulk data (<see cref="MayName"/>) from every string value of an Arrow IPC file — top
    /// level and inside lists, structs and maps. A file without string columns is not read past its footer.
    /// </summary>
    public static async Task<List<string>> ReadStringsAsync(UrlAdapterRegistry adapters, Url file, CancellationToken cancellationToken)
    {
        var found = new List<string>();
        await using var stream = await adapters.OpenReadAsync(file, cancellationToken).ConfigureAwait(false);
        using var reader = new ArrowFileReader(stream, allocator: null!, Compression.Codecs, leaveOpen: true);
        var schema = await reader.GetSchema(cancellationToken).ConfigureAwait(false);
        var columns = Enumerable.Range(0, schema.FieldsList.Count).Where(i => HoldsStrings(schema.FieldsList[i].DataType)).ToArray();
        if (columns.Length == 0)
        {
            return found;
        }
        RecordBatch? batch;
        while ((batch = await reader.ReadNextRecordBatchAsync(cancellationToken).ConfigureAwait(false)) is not null)
        {
            using (batch)
            {
                foreach (var column in columns)
                {
                    Collect(batch.Column(column), found);
                }
            }
        }
        return found;
    }

    /// <summary>
    /// Resolves a stored value as the table reading it would (<c>ImageFileSampleType</c>: absolute as it is, relative to the
    /// table folder; aliases expanded). Null when it is no URL; <paramref name="unresolved"/> is set when it names an alias
    /// this configuration does not know.
    /// </summary>
    public static string? Resolve(UrlAdapterRegistry adapters, string stored, Url tableFolder, out bool unresolved)
    {
        unresolved = false;
        Url url;
        try
        {
            url = StoredUrls.Resolve(stored, tableFolder);
        }
        catch (ArgumentException)
        {
            return null;
        }
        try
        {
            return adapters.Expand(url).Value;
        }
        catch (ArgumentException)
        {
            unresolved = true;
            return null;
        }
    }

    /// <summary>True for text that may name bulk data: it mentions <c>bulk_data</c> or starts with an alias.</summary>
    private static bool MayName(ReadOnlySpan<byte> utf8) => (utf8.Length > 0 && utf8[0] == (byte)'<') || utf8.IndexOf(Marker) >= 0;

    private static bool HoldsStrings(IArrowType type) => type switch
    {
        StringType or LargeStringType or StringViewType => true,
        DictionaryType dictionary => HoldsStrings(dictionary.ValueType),
        NestedType nested => nested.Fields.Any(f => HoldsStrings(f.DataType)),
        _ => false,
    };

    private static void Collect(IArrowArray array, List<string> found)
    {
        switch (array)
        {
            case StringArray strings:
                for (var i = 0; i < strings.Length; i++)
                {
                    if (strings.IsValid(i) && strings.GetBytes(i) is var bytes && MayName(bytes))
                    {
                        found.Add(Encoding.UTF8.GetString(bytes));
                    }
                }
                break;
            case LargeStringArray strings:
                for (var i = 0; i < strings.Length; i++)
                {
                    if (strings.IsValid(i) && strings.GetBytes(i) is var bytes && MayName(bytes))
                    {
                        found.Add(Encoding.UTF8.GetString(bytes));
                    }
                }
                break;
            case StringViewArray strings:
                for (var i = 0; i < strings.Length; i++)
                {
                    if (strings.IsValid(i) && strings.GetBytes(i) is var bytes && MayName(bytes))
                    {
                        found.Add(Encoding.UTF8.GetString(bytes));
                    }
                }
                break;
            case ListArray list:
                Collect(list.Values, found);
                break;
            case LargeListArray list:
                Collect(list.Values, found);
                break;
            case FixedSizeListArray list:
                Collect(list.Values, found);
                break;
            case StructArray structs:
                foreach (var field in structs.Fields)
                {
                    Collect(field, found);
                }
                break;
            case DictionaryArray dictionary:
                Collect(dictionary.Dictionary, found);
                break;
        }
    }

    private static void Collect(JsonNode? node, List<string> found)
    {
        switch (node)
        {
            case JsonArray array:
                foreach (var item in array)
                {
                    Collect(item, found);
                }
                break;
            case JsonObject obj:
                foreach (var (_, item) in obj)
                {
                    Collect(item, found);
                }
                break;
            case JsonValue value when value.TryGetValue<string>(out var text) && MayName(Encoding.UTF8.GetBytes(text)):
                found.Add(text);
                break;
        }
    }
}
