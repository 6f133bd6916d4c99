using System.Text.Json.Nodes;
using Tlc.Schemas;
using Tlc.Tables.Configuration;
using Tlc.Tables.Samples;
using Tlc.Tables.Urls;

namespace Tlc.Tables.Import;

/// <summary>The arguments every <c>Table.From*</c> factory shares (3LC's <c>table_name</c>, <c>dataset_name</c>, ...).</summary>
public class ImportOptions
{
    /// <summary>The project. Default: "default".</summary>
    public string Project { get; init; } = "default";

    /// <summary>The dataset. Default: "default".</summary>
    public string Dataset { get; init; } = "default";

    /// <summary>The table name. Default: "table".</summary>
    public string Table { get; init; } = "table";

    /// <summary>The root URL. Default: the configured root.</summary>
    public Url? Root { get; init; }

    /// <summary>An explicit table folder URL instead of the project layout. Default: none.</summary>
    public Url? TableUrl { get; init; }

    /// <summary>What to do when the table exists. Default: <see cref="IfExists.Reuse"/> (re-running a script reuses the import).</summary>
    public IfExists IfExists { get; init; } = IfExists.Reuse;

    /// <summary>Add a <c>weight</c> column (default 1). Default: true.</summary>
    public bool AddWeightColumn { get; init; } = true;

    /// <summary>A description stored with the table. Default: none.</summary>
    public string? Description { get; init; }

    /// <summary>Column schemas overriding what the importer infers, by column name. Default: none.</summary>
    public IReadOnlyDictionary<string, ColumnSchema>? Schema { get; init; }

    /// <summary>Rows per record batch. Default: the configured <c>tables.batch_rows</c>.</summary>
    public int? BatchRows { get; init; }

    /// <summary>Rows per chunk file. Default: the configured <c>tables.chunk_rows</c>.</summary>
    public int? ChunkRows { get; init; }

    /// <summary>Settings for defaults. Default: the process settings (<see cref="TlcSettings.Current"/>).</summary>
    public TlcOptions? Settings { get; init; }

    /// <summary>The URL adapters. Default: <see cref="UrlAdapterRegistry.Default"/>.</summary>
    public UrlAdapterRegistry? Adapters { get; init; }

    /// <summary>The sample types. Default: <see cref="SampleTypeRegistry.Default"/>.</summary>
    public SampleTypeRegistry? SampleTypes { get; init; }

    /// <summary>The clock. Default: <see cref="TimeProvider.System"/>.</summary>
    public TimeProvider? TimeProvider { get; init; }

    /// <summary>The adapters in effect.</summary>
    public UrlAdapterRegistry EffectiveAdapters => Adapters ?? UrlAdapterRegistry.Default;

    /// <summary>Writer options for a table of <paramref name="schema"/> made from <paramref name="source"/>.</summary>
    public TableWriterOptions ToWriterOptions(TableSchema schema, JsonObject? source) => new()
    {
        Schema = schema,
        Project = Project,
        Dataset = Dataset,
        Table = Table,
        Root = Root,
        TableUrl = TableUrl,
        IfExists = IfExists,
        AddWeightColumn = AddWeightColumn,
        Description = Description,
        BatchRows = BatchRows,
        ChunkRows = ChunkRows,
        Source = source,
        Settings = Settings,
        Adapters = Adapters,
        SampleTypes = SampleTypes,
        TimeProvider = TimeProvider,
    };

    /// <summary>
    /// The table a reuse would return, or null: lets importers skip reading input when <see cref="IfExists.Reuse"/> finds the table.
    /// </summary>
    public async Task<Table?> FindReusableAsync(CancellationToken cancellationToken)
    {
        if (IfExists != IfExists.Reuse)
        {
            return null;
        }
        var url = TableUrl ?? Storage.TableLayout.Table(Root ?? (Settings ?? TlcSettings.Current).RootUrl, Project, Dataset, Table);
        return await EffectiveAdapters.ExistsAsync(Storage.TableLayout.ObjectFile(url), cancellationToken).ConfigureAwait(false)
            ? await Tables.Table.OpenAsync(url, EffectiveAdapters, cancellationToken).ConfigureAwait(false)
            : null;
    }
}
