using Microsoft.Extensions.Configuration;
using Tlc.Tables.Urls;

namespace Tlc.Tables.Configuration;

/// <summary>Loads <see cref="TlcOptions"/> from the config file, the environment and overrides.</summary>
public static class TlcConfiguration
{
    /// <summary>The environment variable naming the config file.</summary>
    public const string ConfigFileVariable = "TLC_CONFIG_FILE";

    /// <summary>The environment variable of the HTTP host's token (also <c>TLC_SECURITY__API_TOKEN</c>).</summary>
    public const string ApiTokenVariable = "TLC_API_TOKEN";

    /// <summary>The default config file: <c>~/.config/tlc/config.yaml</c> (or <c>$XDG_CONFIG_HOME/tlc/config.yaml</c>).</summary>
    public static string DefaultConfigFile()
    {
        var configHome = Environment.GetEnvironmentVariable("XDG_CONFIG_HOME");
        if (string.IsNullOrEmpty(configHome))
        {
            configHome = Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".config");
        }
        return Path.Combine(configHome, "tlc", "config.yaml");
    }

    /// <summary>
    /// The config file the settings are read from: <paramref name="configFile"/>, else <c>TLC_CONFIG_FILE</c>, else
    /// <see cref="DefaultConfigFile"/> when it exists; null when there is none.
    /// </summary>
    /// <exception cref="FileNotFoundException">A file named explicitly does not exist.</exception>
    public static string? ConfigFile(string? configFile = null)
    {
        var explicitFile = configFile ?? Environment.GetEnvironmentVariable(ConfigFileVariable);
        var file = string.IsNullOrEmpty(explicitFile) ? DefaultConfigFile() : Path.GetFullPath(explicitFile);
        if (!string.IsNullOrEmpty(explicitFile) && !File.Exists(file))
        {
            throw new FileNotFoundException($"The config file '{file}' (from {ConfigFileVariable}) does not exist.", file);
        }
        return File.Exists(file) ? file : null;
    }

    /// <summary>Builds the configuration: file, then <c>TLC_*</c> environment variables, then <paramref name="overrides"/>.</summary>
    public static IConfigurationRoot Build(IEnumerable<KeyValuePair<string, string?>>? overrides = null, string? configFile = null)
    {
        var builder = new ConfigurationBuilder();
        if (ConfigFile(configFile) is { } file)
        {
            if (file.EndsWith(".json", StringComparison.OrdinalIgnoreCase))
            {
                builder.AddJsonFile(file, optional: false, reloadOnChange: false);
            }
            else
            {
                builder.AddYamlFile(file, optional: false, reloadOnChange: false);
            }
        }
        builder.AddEnvironmentVariables("TLC_");
        if (overrides is not null)
        {
            builder.AddInMemoryCollection(overrides);
        }
        return builder.Build();
    }

    /// <summary>Loads the options; <paramref name="overrides"/> are configuration keys such as <c>root</c>.</summary>
    public static TlcOptions Load(IEnumerable<KeyValuePair<string, string?>>? overrides = null, string? configFile = null) =>
        Bind(Build(overrides, configFile));

    /// <summary>Binds, reads the secret files of and checks the options of a built configuration (<see cref="Build"/>).</summary>
    internal static TlcOptions Bind(IConfigurationRoot configuration)
    {
        var options = new TlcOptions();
        try
        {
            configuration.Bind(options);
        }
        catch (InvalidOperationException e)
        {
            throw new FormatException($"Invalid Tlc configuration: {e.Message}", e);
        }
        if (string.IsNullOrEmpty(options.Security.ApiToken) && string.IsNullOrEmpty(options.Security.ApiTokenFile)
            && Environment.GetEnvironmentVariable(ApiTokenVariable) is { Length: > 0 } token)
        {
            options.Security.ApiToken = token;
        }
        TlcSecrets.ReadFiles(options);
        Validate(options);
        return options;
    }

    /// <summary>
    /// Applies the options to a URL adapter registry: aliases, the Azure adapter when configured, and the S3 adapter
    /// (always: with no <c>s3</c> settings it uses the AWS environment variables and the AWS SDK's default credentials).
    /// </summary>
    public static void Apply(TlcOptions options, UrlAdapterRegistry registry)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(registry);
        registry.Aliases.Configure(options.Aliases);
        if (!string.IsNullOrWhiteSpace(options.Azure.ConnectionString))
        {
            registry.Register(new AzureBlobUrlAdapter(options.Azure.ConnectionString));
        }
        registry.Register(new S3UrlAdapter(options.S3));
        if (options.Security.RestrictFileUrls)
        {
            registry.FileRoots = FileRoots(options);
        }
    }

    /// <summary>
    /// The folders <c>file://</c> URLs may name where they are restricted: the root (a local one), the folders of the
    /// configured aliases, and <c>security.file_roots</c>.
    /// </summary>
    public static FileRoots FileRoots(TlcOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var folders = new List<string>();
        if (options.RootUrl.IsFile)
        {
            folders.Add(options.RootUrl.LocalPath);
        }
        foreach (var value in options.Aliases.Values)
        {
            if (!value.Contains('<', StringComparison.Ordinal) && new Url(value) is { IsFile: true } alias)
            {
                folders.Add(alias.LocalPath);
            }
        }
        if (!string.IsNullOrWhiteSpace(options.Security.FileRoots))
        {
            folders.AddRange(options.Security.FileRoots.Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
        }
        return new FileRoots(folders);
    }

    /// <summary>
    /// Restricts <paramref name="registry"/> — and <see cref="UrlAdapterRegistry.Default"/>, which some readers use — to
    /// <see cref="FileRoots(TlcOptions)"/>: what a process that acts on URLs sent by others does at start.
    /// </summary>
    public static FileRoots RestrictFiles(TlcOptions options, UrlAdapterRegistry registry)
    {
        ArgumentNullException.ThrowIfNull(registry);
        var roots = FileRoots(options);
        registry.FileRoots = roots;
        UrlAdapterRegistry.Default.FileRoots = roots;
        return roots;
    }

    private static void Validate(TlcOptions options)
    {
        if (options.Tables.BatchRows <= 0)
        {
            throw new FormatException($"tables.batch_rows must be positive, got {options.Tables.BatchRows}.");
        }
        if (options.Tables.ChunkRows < options.Tables.BatchRows)
        {
            throw new FormatException($"tables.chunk_rows ({options.Tables.ChunkRows}) must be at least tables.batch_rows ({options.Tables.BatchRows}).");
        }
        if (!ClusterSettings.Modes.Contains(options.Cluster.Mode, StringComparer.Ordinal))
        {
            throw new FormatException($"cluster.mode must be embedded, azure or redis, got '{options.Cluster.Mode}'.");
        }
        var observability = options.Observability;
        if (!string.IsNullOrWhiteSpace(observability.OtlpEndpoint)
            && !(Uri.TryCreate(observability.OtlpEndpoint, UriKind.Absolute, out var otlp) && otlp.Scheme is "http" or "https"))
        {
            throw new FormatException($"observability.otlp_endpoint must be an http(s) URL, got '{observability.OtlpEndpoint}'.");
        }
        if (!(observability.ExportIntervalSeconds > 0))
        {
            throw new FormatException($"observability.export_interval_seconds must be positive, got {observability.ExportIntervalSeconds}.");
        }
        if (observability.DashboardPort is < 1 or > 65535)
        {
            throw new FormatException($"observability.dashboard_port must be a TCP port (1-65535), got {observability.DashboardPort}.");
        }
        if (!System.Net.IPAddress.TryParse(observability.DashboardHost, out _))
        {
            throw new FormatException($"observability.dashboard_host must be an IP address, got '{observability.DashboardHost}'.");
        }
        if (!(options.Cluster.ReconnectTimeoutSeconds > 0))
        {
            throw new FormatException($"cluster.reconnect_timeout_seconds must be positive, got {options.Cluster.ReconnectTimeoutSeconds}.");
        }
        if (options.Cluster.GrainDirectory is not ("standard" or "distributed"))
        {
            throw new FormatException($"cluster.grain_directory must be standard or distributed, got '{options.Cluster.GrainDirectory}'.");
        }
        if (options.Cluster.IsAzure && string.IsNullOrWhiteSpace(options.Cluster.ConnectionString ?? options.Azure.ConnectionString))
        {
            throw new FormatException("cluster.mode azure needs cluster.connection_string (or azure.connection_string).");
        }
        if (options.Cluster.Kubernetes && options.Cluster.IsEmbedded)
        {
            throw new FormatException("cluster.kubernetes needs a cluster mode other than embedded (cluster.mode azure): an embedded silo serves one machine.");
        }
        if (options.Health.Port is < 0 or > 65535)
        {
            throw new FormatException($"health.port must be a TCP port (1-65535) or 0 (off), got {options.Health.Port}.");
        }
        if (!System.Net.IPAddress.TryParse(options.Health.Host, out _))
        {
            throw new FormatException($"health.host must be an IP address, got '{options.Health.Host}'.");
        }
        var tls = options.Cluster.Tls;
        if (tls.Enabled)
        {
            if (string.IsNullOrWhiteSpace(tls.Authority))
            {
                throw new FormatException("cluster.tls.certificate is set but cluster.tls.authority is not: name the PEM file of the certificate authority that issued the cluster's certificates.");
            }
            foreach (var (key, path) in new[] { ("cluster.tls.certificate", tls.Certificate), ("cluster.tls.certificate_key", tls.CertificateKey), ("cluster.tls.authority", tls.Authority) })
            {
                if (!string.IsNullOrWhiteSpace(path) && !File.Exists(path))
                {
                    throw new FormatException($"{key}: the file '{path}' does not exist.");
                }
            }
        }
        else if (!string.IsNullOrWhiteSpace(tls.CertificateKey) || !string.IsNullOrWhiteSpace(tls.Authority))
        {
            throw new FormatException("cluster.tls.certificate_key and cluster.tls.authority need cluster.tls.certificate (TLS is on only with a certificate).");
        }
        if (options.Cluster.IsRedis && string.IsNullOrWhiteSpace(options.Cluster.RedisConnectionString))
        {
            throw new FormatException(ClusterSettings.RedisConnectionStringMissing);
        }
        var s3 = options.S3;
        if (!string.IsNullOrWhiteSpace(s3.Endpoint) && !(Uri.TryCreate(s3.Endpoint.Trim(), UriKind.Absolute, out var s3Endpoint) && s3Endpoint.Scheme is "http" or "https"))
        {
            throw new FormatException($"s3.endpoint must be an http(s) URL, got '{s3.Endpoint}'.");
        }
        if (string.IsNullOrWhiteSpace(s3.AccessKeyId) != string.IsNullOrWhiteSpace(s3.SecretAccessKey))
        {
            throw new FormatException(string.IsNullOrWhiteSpace(s3.AccessKeyId)
                ? S3UrlAdapter.SecretWithoutKeyId
                : S3UrlAdapter.KeyIdWithoutSecret);
        }
        if (options.Tables.Compression is not ("none" or "lz4" or "zstd"))
        {
            throw new FormatException($"tables.compression must be none, lz4 or zstd, got '{options.Tables.Compression}'.");
        }
    }
}

/// <summary>The settings of this process, loaded once on first use; <see cref="Reset"/> reloads (tests).</summary>
public static class TlcSettings
{
    private static TlcOptions? _current;
    private static readonly Lock Gate = new();

    /// <summary>The loaded settings; loading also applies aliases and the Azure and S3 adapters to <see cref="UrlAdapterRegistry.Default"/>.</summary>
    public static TlcOptions Current
    {
        get
        {
            lock (Gate)
            {
                if (_current is null)
                {
                    _current = TlcConfiguration.Load();
                    TlcConfiguration.Apply(_current, UrlAdapterRegistry.Default);
                }
                return _current;
            }
        }
    }

    /// <summary>Replaces the settings of this process (and applies them).</summary>
    public static void Use(TlcOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        lock (Gate)
        {
            _current = options;
            TlcConfiguration.Apply(options, UrlAdapterRegistry.Default);
        }
    }

    /// <summary>Forgets the loaded settings; the next use loads them again.</summary>
    public static void Reset()
    {
        lock (Gate)
        {
            _current = null;
        }
    }
}
