using System.Text.Json;
using System.Text.Json.Serialization;
using Tlc.Tables.Urls;

namespace Tlc.Tables.Storage;

/// <summary>Reads and publishes table object files through the URL adapters.</summary>
public static class ObjectFiles
{
    internal static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = true,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    /// <summary>Serialises an object file.</summary>
    public static byte[] Serialize(TableObject table) => JsonSerializer.SerializeToUtf8Bytes(table, Json);

    /// <summary>Parses an object file; <paramref name="where"/> names it in errors.</summary>
    public static TableObject Deserialize(ReadOnlySpan<byte> json, string where)
    {
        TableObject? table;
        try
        {
            table = JsonSerializer.Deserialize<TableObject>(json, Json);
        }
        catch (JsonException e)
        {
            throw new FormatException($"{where}: not a valid object file (line {e.LineNumber + 1}: {e.Message})", e);
        }
        if (table is null || table.Type != "table")
        {
            throw new FormatException($"{where}: not a table object file.");
        }
        if (table.FormatVersion > TableObject.CurrentFormatVersion)
        {
            throw new FormatException($"{where}: written by a newer Tlc (format {table.FormatVersion}; this one reads up to {TableObject.CurrentFormatVersion}).");
        }
        return table;
    }

    /// <summary>Reads the object file of the table at <paramref name="tableUrl"/>.</summary>
    public static async Task<TableObject> ReadAsync(UrlAdapterRegistry adapters, Url tableUrl, CancellationToken cancellationToken)
    {
        var objectUrl = TableLayout.ObjectFile(tableUrl);
        byte[] bytes;
        try
        {
            bytes = await adapters.ReadAllBytesAsync(objectUrl, cancellationToken).ConfigureAwait(false);
        }
        catch (UrlNotFoundException e)
        {
            throw new TableNotFoundException(tableUrl, e);
        }
        var table = Deserialize(bytes, objectUrl.Value);
        Validate(table, tableUrl);
        return table;
    }

    /// <summary>
    /// Reads the object of the table at <paramref name="tableUrl"/> whose id is <paramref name="id"/>: the current object
    /// file, or the archived <c>object.&lt;id&gt;.tlc.json</c> an overwrite left behind.
    /// </summary>
    public static async Task<TableObject> ReadVersionAsync(UrlAdapterRegistry adapters, Url tableUrl, string id, CancellationToken cancellationToken)
    {
        var current = await ReadAsync(adapters, tableUrl, cancellationToken).ConfigureAwait(false);
        if (current.Id == id || string.IsNullOrEmpty(id))
        {
            return current;
        }
        var archived = ArchivedObjectFile(tableUrl, id);
        byte[] bytes;
        try
        {
            bytes = await adapters.ReadAllBytesAsync(archived, cancellationToken).ConfigureAwait(false);
        }
        catch (UrlNotFoundException e)
        {
            throw new FormatException($"{tableUrl} was overwritten: the object {id} a derived table refers to is gone ({archived} missing).", e);
        }
        var table = Deserialize(bytes, archived.Value);
        Validate(table, tableUrl);
        return table;
    }

    /// <summary>Where an overwrite keeps the replaced object file, so tables derived from it stay readable.</summary>
    public static Url ArchivedObjectFile(Url tableUrl, string id) => tableUrl.Join($"object.{Names.Validate(id, "object id")}.tlc.json");

    /// <summary>Publishes an object file atomically (create-if-absent, or replace for <see cref="WriteMode.Overwrite"/>).</summary>
    public static Task PublishAsync(UrlAdapterRegistry adapters, Url tableUrl, TableObject table, WriteMode mode, CancellationToken cancellationToken) =>
        adapters.WriteAllBytesAsync(TableLayout.ObjectFile(tableUrl), Serialize(table), mode, cancellationToken);

    /// <summary>Resolves a URL stored in the object file of <paramref name="tableUrl"/>, refusing any that leave its containment folder.</summary>
    /// <remarks>
    /// Chunk and sidecar URLs must resolve inside the containment folder even when written absolute; only parent URLs
    /// (<paramref name="absoluteMayLeave"/>) may name a table elsewhere by an absolute URL, as a join across roots does.
    /// </remarks>
    public static Url Resolve(Url tableUrl, string stored, string what, bool absoluteMayLeave = false)
    {
        Url resolved;
        if (Url.IsAbsolute(stored))
        {
            resolved = new Url(stored);
            if (absoluteMayLeave)
            {
                return resolved;
            }
            var root = TableLayout.Containment(tableUrl);
            return resolved.IsWithin(root)
                ? resolved
                : throw new FormatException($"{TableLayout.ObjectFile(tableUrl)}: {what} '{stored}' points outside {root} (path traversal refused).");
        }
        try
        {
            resolved = tableUrl.Join(stored);
        }
        catch (ArgumentException e)
        {
            throw new FormatException($"{TableLayout.ObjectFile(tableUrl)}: {what} '{stored}' climbs above the root of {tableUrl} (path traversal refused).", e);
        }
        var containment = TableLayout.Containment(tableUrl);
        if (!resolved.IsWithin(containment))
        {
            throw new FormatException($"{TableLayout.ObjectFile(tableUrl)}: {what} '{stored}' points outside {containment} (path traversal refused).");
        }
        return resolved;
    }

    /// <summary>The form of <paramref name="target"/> to store in the object file of <paramref name="tableUrl"/>: relative when inside its containment folder.</summary>
    public static string Relativize(Url tableUrl, Url target) =>
        target.IsWithin(TableLayout.Containment(tableUrl)) ? target.RelativeTo(tableUrl) ?? target.Value : target.Value;

    private static void Validate(TableObject table, Url tableUrl)
    {
        var where = TableLayout.ObjectFile(tableUrl).Value;
        if (table.RowCount < 0)
        {
            throw new FormatException($"{where}: negative row_count {table.RowCount}.");
        }
        foreach (var chunk in table.Chunks)
        {
            Resolve(tableUrl, chunk.Url, "chunk url");
            if (chunk.Batches.Sum(b => (long)b) != chunk.Rows)
            {
                throw new FormatException($"{where}: chunk '{chunk.Url}' has {chunk.Rows} rows but its batches add up to {chunk.Batches.Sum(b => (long)b)}.");
            }
        }
        foreach (var (column, edits) in table.Edits ?? [])
        {
            if (edits.Sidecar is { } sidecar)
            {
                Resolve(tableUrl, sidecar, $"edit sidecar of '{column}'");
            }
            if (edits.Chunk is { } chunk)
            {
                Resolve(tableUrl, chunk.Url, $"dense edit chunk of '{column}'");
            }
        }
        if (table.RowMap?.Sidecar is { } rowMap)
        {
            Resolve(tableUrl, rowMap, "row map sidecar");
        }
        if (LineageKinds.StoresRows(table.Lineage.Kind) && table.Chunks.Sum(c => c.Rows) != table.RowCount)
        {
            throw new FormatException($"{where}: row_count {table.RowCount} but the chunks hold {table.Chunks.Sum(c => c.Rows)} rows.");
        }
        foreach (var parent in table.Lineage.Parents)
        {
            Resolve(tableUrl, parent.Url, "parent url", absoluteMayLeave: true);
        }
    }
}
