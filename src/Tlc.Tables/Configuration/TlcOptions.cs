using Microsoft.Extensions.Configuration;

namespace Tlc.Tables.Configuration;

/// <summary>
/// Tlc's settings, bound from (lowest first) the config file (<c>TLC_CONFIG_FILE</c>, else
/// <c>~/.config/tlc/config.yaml</c> when present; YAML or JSON), <c>TLC_*</c> environment variables (<c>__</c> separates
/// sections: <c>TLC_TABLES__BATCH_ROWS</c>) and command-line overrides.
/// </summary>
public sealed class TlcOptions
{
    /// <summary>
    /// The root URL under which projects live (<c>TLC_ROOT</c>). Default: <c>$XDG_DATA_HOME/tlc</c>, else
    /// <c>~/.local/share/tlc</c>.
    /// </summary>
    [ConfigurationKeyName("root")]
    public string? Root { get; set; }

    /// <summary>URL aliases, name → value, used as <c>&lt;NAME&gt;</c> in URLs. Default: none.</summary>
    [ConfigurationKeyName("aliases")]
    public Dictionary<string, string> Aliases { get; set; } = new(StringComparer.Ordinal);

    /// <summary>Azure Blob Storage settings for <c>azure://</c> URLs.</summary>
    [ConfigurationKeyName("azure")]
    public AzureOptions Azure { get; set; } = new();

    /// <summary>Table writing settings.</summary>
    [ConfigurationKeyName("tables")]
    public TableStorageOptions Tables { get; set; } = new();

    /// <summary>The effective root URL.</summary>
    public Url RootUrl => new(string.IsNullOrWhiteSpace(Root) ? DefaultRoot() : Root);

    /// <summary>The per-user default root folder.</summary>
    public static string DefaultRoot()
    {
        var dataHome = Environment.GetEnvironmentVariable("XDG_DATA_HOME");
        if (string.IsNullOrEmpty(dataHome))
        {
            dataHome = Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".local", "share");
        }
        return Path.Combine(dataHome, "tlc");
    }
}

/// <summary>Azure Blob Storage settings.</summary>
public sealed class AzureOptions
{
    /// <summary>
    /// The storage connection string (<c>TLC_AZURE__CONNECTION_STRING</c>; <c>UseDevelopmentStorage=true</c> for Azurite).
    /// Default: none, and <c>azure://</c> URLs are refused.
    /// </summary>
    [ConfigurationKeyName("connection_string")]
    public string? ConnectionString { get; set; }
}

/// <summary>How tables are written.</summary>
public sealed class TableStorageOptions
{
    /// <summary>Rows per Arrow record batch. Default: 65,536.</summary>
    [ConfigurationKeyName("batch_rows")]
    public int BatchRows { get; set; } = 65_536;

    /// <summary>Rows per chunk file (a whole number of batches). Default: 1,048,576.</summary>
    [ConfigurationKeyName("chunk_rows")]
    public int ChunkRows { get; set; } = 1_048_576;

    /// <summary>
    /// Chunk compression: <c>none</c>, <c>lz4</c> or <c>zstd</c>. Default: <c>none</c> (readable by every Arrow reader and
    /// fastest for random access).
    /// </summary>
    [ConfigurationKeyName("compression")]
    public string Compression { get; set; } = "none";
}
