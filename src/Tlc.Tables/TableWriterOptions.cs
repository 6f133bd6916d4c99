using System.Text.Json.Nodes;
using Tlc.Schemas;
using Tlc.Tables.Configuration;
using Tlc.Tables.Samples;
using Tlc.Tables.Urls;

namespace Tlc.Tables;

/// <summary>Where and how a <see cref="TableWriter"/> writes.</summary>
public sealed class TableWriterOptions
{
    /// <summary>The columns. Required.</summary>
    public required TableSchema Schema { get; init; }

    /// <summary>The project. Default: "default".</summary>
    public string Project { get; init; } = "default";

    /// <summary>The dataset. Default: "default".</summary>
    public string Dataset { get; init; } = "default";

    /// <summary>The table name. Default: "table".</summary>
    public string Table { get; init; } = "table";

    /// <summary>The root URL. Default: the configured root (<c>TLC_ROOT</c>, else the per-user folder).</summary>
    public Url? Root { get; init; }

    /// <summary>An explicit table folder URL instead of the project layout. Default: none.</summary>
    public Url? TableUrl { get; init; }

    /// <summary>What to do when the table exists. Default: <see cref="IfExists.Rename"/>.</summary>
    public IfExists IfExists { get; init; } = IfExists.Rename;

    /// <summary>
    /// Add a <c>weight</c> column (<see cref="SampleWeightSchema"/>, default 1) unless the schema has a weight column; a numeric
    /// column named <c>weight</c> becomes the weight column. Default: true.
    /// </summary>
    public bool AddWeightColumn { get; init; } = true;

    /// <summary>A description stored in the object file. Default: none.</summary>
    public string? Description { get; init; }

    /// <summary>Rows per Arrow record batch. Default: the configured <c>tables.batch_rows</c> (65,536).</summary>
    public int? BatchRows { get; init; }

    /// <summary>Rows per chunk file. Default: the configured <c>tables.chunk_rows</c> (1,048,576).</summary>
    public int? ChunkRows { get; init; }

    /// <summary>Chunk compression: none, lz4 or zstd. Default: the configured <c>tables.compression</c> (none).</summary>
    public string? Compression { get; init; }

    /// <summary>Where the rows came from (format, input URL, options), stored in the object file. Default: none.</summary>
    public JsonObject? Source { get; init; }

    /// <summary>Extra properties stored in the object file. Default: none.</summary>
    public IReadOnlyDictionary<string, string>? Properties { get; init; }

    /// <summary>Settings used for any default above. Default: loaded from the config file and environment.</summary>
    public TlcOptions? Settings { get; init; }

    /// <summary>The URL adapters. Default: <see cref="UrlAdapterRegistry.Default"/>.</summary>
    public UrlAdapterRegistry? Adapters { get; init; }

    /// <summary>The sample types. Default: <see cref="SampleTypeRegistry.Default"/>.</summary>
    public SampleTypeRegistry? SampleTypes { get; init; }

    /// <summary>The lineage recorded in the object file (source by default; squash for materialised copies).</summary>
    internal Storage.Lineage? Lineage { get; init; }

    /// <summary>The clock for creation times. Default: <see cref="TimeProvider.System"/>.</summary>
    public TimeProvider? TimeProvider { get; init; }
}
