using Tlc.Schemas;
using Tlc.Tables.Urls;

namespace Tlc.Tables.Samples;

/// <summary>
/// Converts between what a user hands a writer or gets from <c>table[i]</c> (an image, an annotation object) and what
/// the column stores (a URL, a struct). Register custom ones with <see cref="SampleTypeRegistry.Register"/>.
/// </summary>
public interface ISampleType
{
    /// <summary>The name a schema's <see cref="ColumnSchema.SampleType"/> refers to.</summary>
    string Name { get; }

    /// <summary>Turns a written value into the stored value (e.g. saves an image as bulk data and returns its URL).</summary>
    object? Encode(object? value, SampleWriteContext context);

    /// <summary>Turns a stored value into the sample value (e.g. reads and decodes the image at a URL).</summary>
    object? Decode(object? stored, SampleReadContext context);
}

/// <summary>What an <see cref="ISampleType"/> knows when encoding one value.</summary>
/// <param name="Column">The column name.</param>
/// <param name="Schema">The column schema.</param>
/// <param name="Row">The 0-based row being written.</param>
/// <param name="BulkDataFolder">Where bulk files of this writer go.</param>
/// <param name="Adapters">The URL adapters to write through.</param>
public sealed record SampleWriteContext(string Column, ColumnSchema Schema, long Row, Url BulkDataFolder, UrlAdapterRegistry Adapters);

/// <summary>What an <see cref="ISampleType"/> knows when decoding one value.</summary>
/// <param name="Column">The column name.</param>
/// <param name="Schema">The column schema.</param>
/// <param name="Row">The 0-based row being read.</param>
/// <param name="Table">The table's URL.</param>
/// <param name="Adapters">The URL adapters to read through.</param>
public sealed record SampleReadContext(string Column, ColumnSchema Schema, long Row, Url Table, UrlAdapterRegistry Adapters)
{
    /// <summary>The aliases of the table's URLs (its project's included); null: the registry's.</summary>
    public UrlAliases? Aliases { get; init; }

    /// <summary>The URL a stored value names, aliases expanded: absolute as it is, else relative to the table folder.</summary>
    public Url Resolve(string stored)
    {
        var url = StoredUrls.Resolve(stored, Table);
        return Aliases is { } aliases ? aliases.Expand(url) : url;
    }
}
