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

    /// <summary>Amazon S3 (or an S3-compatible store) settings for <c>s3://</c> URLs.</summary>
    [ConfigurationKeyName("s3")]
    public S3Options S3 { get; set; } = new();

    /// <summary>Table writing settings.</summary>
    [ConfigurationKeyName("tables")]
    public TableStorageOptions Tables { get; set; } = new();

    /// <summary>How processes find the cluster (or start the embedded single-node one).</summary>
    [ConfigurationKeyName("cluster")]
    public ClusterSettings Cluster { get; set; } = new();

    /// <summary>Metrics export and the Orleans dashboard of <c>tlc silo</c> and <c>tlc worker</c>.</summary>
    [ConfigurationKeyName("observability")]
    public ObservabilitySettings Observability { get; set; } = new();

    /// <summary>The HTTP liveness and readiness endpoints of <c>tlc silo</c> and <c>tlc worker</c> (off by default).</summary>
    [ConfigurationKeyName("health")]
    public HealthSettings Health { get; set; } = new();

    /// <summary>The API token, the file URLs processes serving others may read, and the secrets rule's keys.</summary>
    [ConfigurationKeyName("security")]
    public SecuritySettings Security { get; set; } = new();

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
    [Secret]
    public string? ConnectionString { get; set; }

    /// <summary>A file holding <see cref="ConnectionString"/> (a secret: either, not both). Default: none.</summary>
    [ConfigurationKeyName("connection_string_file")]
    public string? ConnectionStringFile { get; set; }
}

/// <summary>
/// Amazon S3 settings for <c>s3://bucket/key</c> URLs. Each unset setting falls back to the standard AWS environment
/// variable named in its documentation, then to the AWS SDK's default (credentials from its default chain: environment,
/// shared profile, web identity, instance or container role).
/// </summary>
public sealed class S3Options
{
    /// <summary>
    /// The endpoint URL of an S3-compatible store (MinIO, s3rver, Ceph, R2…), e.g. <c>http://127.0.0.1:9000</c>.
    /// Default: <c>AWS_ENDPOINT_URL_S3</c>, else <c>AWS_ENDPOINT_URL</c>, else Amazon S3 of <see cref="Region"/>.
    /// </summary>
    [ConfigurationKeyName("endpoint")]
    public string? Endpoint { get; set; }

    /// <summary>The region. Default: <c>AWS_REGION</c>, else <c>AWS_DEFAULT_REGION</c>, else <c>us-east-1</c>.</summary>
    [ConfigurationKeyName("region")]
    public string? Region { get; set; }

    /// <summary>The access key id. Default: <c>AWS_ACCESS_KEY_ID</c>, else the AWS SDK's default credentials.</summary>
    [ConfigurationKeyName("access_key_id")]
    public string? AccessKeyId { get; set; }

    /// <summary>The secret access key (a secret; with <see cref="AccessKeyId"/>). Default: <c>AWS_SECRET_ACCESS_KEY</c>.</summary>
    [ConfigurationKeyName("secret_access_key")]
    [Secret]
    public string? SecretAccessKey { get; set; }

    /// <summary>A file holding <see cref="SecretAccessKey"/>. Default: none.</summary>
    [ConfigurationKeyName("secret_access_key_file")]
    public string? SecretAccessKeyFile { get; set; }

    /// <summary>The session token of temporary credentials (a secret). Default: <c>AWS_SESSION_TOKEN</c> with the keys from the environment.</summary>
    [ConfigurationKeyName("session_token")]
    [Secret]
    public string? SessionToken { get; set; }

    /// <summary>A file holding <see cref="SessionToken"/>. Default: none.</summary>
    [ConfigurationKeyName("session_token_file")]
    public string? SessionTokenFile { get; set; }

    /// <summary>
    /// Path-style addressing (<c>http://endpoint/bucket/key</c>) instead of virtual-hosted style
    /// (<c>http://bucket.endpoint/key</c>): most S3-compatible stores on one host need it. Default: false.
    /// </summary>
    [ConfigurationKeyName("force_path_style")]
    public bool ForcePathStyle { get; set; }

    /// <summary>
    /// Whether the store honours <c>If-None-Match: *</c> on PUT (Amazon S3 does since 2024; MinIO does): true publishes
    /// with it, atomically; false checks with a HEAD request first, which is not atomic (two racing writers can both
    /// succeed, the later one's object winning). Default: true.
    /// </summary>
    [ConfigurationKeyName("conditional_writes")]
    public bool ConditionalWrites { get; set; } = true;
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

/// <summary>
/// The cluster. By default (<c>mode: embedded</c>) the first <c>tlc</c> process on a root starts a single-node silo
/// in-process (grain state on local disk under the root) and later processes connect to it; <c>mode: azure</c> joins
/// silos through Azure Table clustering with grain state and reminders in Azure Storage; <c>mode: redis</c> does the same
/// through a Redis server (membership, grain state and reminders in Redis).
/// </summary>
public sealed class ClusterSettings
{
    /// <summary>The embedded single-node silo of a root (the default <see cref="Mode"/>).</summary>
    public const string EmbeddedMode = "embedded";

    /// <summary>A shared cluster over Azure Storage.</summary>
    public const string AzureMode = "azure";

    /// <summary>A shared cluster over Redis.</summary>
    public const string RedisMode = "redis";

    /// <summary>The setting name of <see cref="RedisConnectionString"/>.</summary>
    public const string RedisConnectionStringSetting = "cluster.redis_connection_string";

    /// <summary>The environment variable of <see cref="RedisConnectionString"/>.</summary>
    public const string RedisConnectionStringVariable = "TLC_CLUSTER__REDIS_CONNECTION_STRING";

    /// <summary>The error of <c>mode: redis</c> without <see cref="RedisConnectionString"/>.</summary>
    public const string RedisConnectionStringMissing =
        $"cluster.mode redis needs {RedisConnectionStringSetting} (env {RedisConnectionStringVariable}), e.g. '127.0.0.1:6379,password=...'.";

    /// <summary>The modes <see cref="Mode"/> accepts.</summary>
    public static IReadOnlyList<string> Modes { get; } = [EmbeddedMode, AzureMode, RedisMode];

    /// <summary><c>embedded</c>, <c>azure</c> or <c>redis</c>. Default: <c>embedded</c>.</summary>
    [ConfigurationKeyName("mode")]
    public string Mode { get; set; } = EmbeddedMode;

    /// <summary>The Orleans cluster id (silos and clients of one deployment share it). Default: <c>tlc</c>.</summary>
    [ConfigurationKeyName("cluster_id")]
    public string ClusterId { get; set; } = "tlc";

    /// <summary>The Orleans service id (keys durable state). Default: <c>tlc</c>.</summary>
    [ConfigurationKeyName("service_id")]
    public string ServiceId { get; set; } = "tlc";

    /// <summary>
    /// The Azure Storage connection string of the cluster (membership, grain state, reminders). Default: the
    /// <c>azure.connection_string</c> setting.
    /// </summary>
    [ConfigurationKeyName("connection_string")]
    [Secret]
    public string? ConnectionString { get; set; }

    /// <summary>A file holding <see cref="ConnectionString"/> (a secret: either, not both). Default: none.</summary>
    [ConfigurationKeyName("connection_string_file")]
    public string? ConnectionStringFile { get; set; }

    /// <summary>
    /// The Redis server of a <c>mode: redis</c> cluster (membership, grain state, reminders), as a StackExchange.Redis
    /// configuration string such as <c>redis.internal:6379,password=…,ssl=true</c>. Default: none (required in redis mode).
    /// </summary>
    [ConfigurationKeyName("redis_connection_string")]
    [Secret]
    public string? RedisConnectionString { get; set; }

    /// <summary>A file holding <see cref="RedisConnectionString"/> (a secret: either, not both). Default: none.</summary>
    [ConfigurationKeyName("redis_connection_string_file")]
    public string? RedisConnectionStringFile { get; set; }

    /// <summary>The blob container holding grain state (one per service). Default: <c>tlc-grain-state</c>.</summary>
    [ConfigurationKeyName("state_container")]
    public string StateContainer { get; set; } = "tlc-grain-state";

    /// <summary>The silo-to-silo port; 0 picks a free one. Default: 11111 in a shared cluster (azure, redis), a free port when embedded.</summary>
    [ConfigurationKeyName("silo_port")]
    public int SiloPort { get; set; }

    /// <summary>The client gateway port; 0 picks a free one. Default: 30000 in a shared cluster (azure, redis), a free port when embedded.</summary>
    [ConfigurationKeyName("gateway_port")]
    public int GatewayPort { get; set; }

    /// <summary>
    /// The address other silos and clients reach this one at (a shared cluster; a non-loopback address makes the silo listen on
    /// every interface). Default: the loopback address, so every machine of a shared cluster sets it.
    /// </summary>
    [ConfigurationKeyName("advertised_ip")]
    public string? AdvertisedIp { get; set; }

    /// <summary>Seconds a client waits for a grain call before failing it. Default: 30.</summary>
    [ConfigurationKeyName("response_timeout_seconds")]
    public double ResponseTimeoutSeconds { get; set; } = 30;

    /// <summary>
    /// Seconds a client waiting for a job (<c>tlc collect</c>, <c>tlc import … --cluster</c>, <c>MetricsJob.WaitAsync</c>,
    /// <c>ImportJob.WaitAsync</c>) keeps waiting while it reaches no silo — none serves the root, or the cluster's gateways
    /// are gone — before it fails with <c>ClusterUnavailableException</c>; the job itself is kept and goes on once a silo
    /// serves again. Workers wait for the silo however long it takes. Default: 300 (5 minutes).
    /// </summary>
    [ConfigurationKeyName("reconnect_timeout_seconds")]
    public double ReconnectTimeoutSeconds { get; set; } = 300;

    /// <summary>
    /// The grain directory of the silos: <c>standard</c> (Orleans' default) or <c>distributed</c> (Orleans' experimental
    /// strongly consistent directory, for every grain). Default: <c>standard</c> — with Orleans 10.4.2 the distributed
    /// directory can stop serving lookups after silos join concurrently (docs/architecture.md), and Tlc's correctness
    /// never rests on a grain having a single activation. Every silo of a cluster must use the same.
    /// </summary>
    [ConfigurationKeyName("grain_directory")]
    public string GrainDirectory { get; set; } = "standard";

    /// <summary>
    /// Hosts the silo in a Kubernetes pod (Orleans' Kubernetes hosting): the silo's name is the pod's (<c>POD_NAME</c>),
    /// its advertised address the pod's (<c>POD_IP</c>, unless <c>advertised_ip</c> is set), and silos declared dead have
    /// their pods deleted (the pod's service account needs get/list/watch/patch/delete on pods; pods carry the labels
    /// <c>orleans/clusterId</c> and <c>orleans/serviceId</c> with this cluster's ids). Membership stays with the cluster
    /// mode (the Azure Table). Not with <c>mode: embedded</c>. Default: false.
    /// </summary>
    [ConfigurationKeyName("kubernetes")]
    public bool Kubernetes { get; set; }

    /// <summary>TLS between silos and between clients (and workers) and gateways. Off by default.</summary>
    [ConfigurationKeyName("tls")]
    public TlsSettings Tls { get; set; } = new();

    /// <summary>True for <c>mode: embedded</c> (one silo per root on this machine, on loopback).</summary>
    public bool IsEmbedded => string.Equals(Mode, EmbeddedMode, StringComparison.OrdinalIgnoreCase);

    /// <summary>True for <c>mode: azure</c>.</summary>
    public bool IsAzure => string.Equals(Mode, AzureMode, StringComparison.OrdinalIgnoreCase);

    /// <summary>True for <c>mode: redis</c>.</summary>
    public bool IsRedis => string.Equals(Mode, RedisMode, StringComparison.OrdinalIgnoreCase);

    /// <summary>
    /// True for a shared cluster (every mode but <c>embedded</c>): silos started with <c>tlc silo</c> on any machine, found
    /// through the cluster's membership store; clients and workers never start a silo of their own.
    /// </summary>
    public bool IsShared => !string.Equals(Mode, EmbeddedMode, StringComparison.OrdinalIgnoreCase);
}

/// <summary>
/// Observability of the server processes (<c>tlc silo</c>, <c>tlc worker</c>): where Tlc's metrics (the <c>Tlc</c> meter)
/// and Orleans' own go, and the Orleans dashboard. Everything is off by default.
/// </summary>
public sealed class ObservabilitySettings
{
    /// <summary>The default port of the Orleans dashboard.</summary>
    public const int DefaultDashboardPort = 8080;

    /// <summary>
    /// An OpenTelemetry collector's OTLP endpoint (e.g. <c>http://localhost:4317</c> for gRPC; a URL ending in
    /// <c>/v1/metrics</c> selects HTTP/protobuf) that metrics are exported to. Default: none.
    /// </summary>
    [ConfigurationKeyName("otlp_endpoint")]
    public string? OtlpEndpoint { get; set; }

    /// <summary>Also writes metrics to the console (every <see cref="ExportIntervalSeconds"/>). Default: false.</summary>
    [ConfigurationKeyName("metrics_console")]
    public bool MetricsConsole { get; set; }

    /// <summary>Seconds between metric exports. Default: 10.</summary>
    [ConfigurationKeyName("export_interval_seconds")]
    public double ExportIntervalSeconds { get; set; } = 10;

    /// <summary>Serves the Orleans dashboard from the silo (<c>tlc silo</c>, or a silo a command starts). Default: false.</summary>
    [ConfigurationKeyName("dashboard")]
    public bool Dashboard { get; set; }

    /// <summary>The dashboard's HTTP port. Default: 8080.</summary>
    [ConfigurationKeyName("dashboard_port")]
    public int DashboardPort { get; set; } = DefaultDashboardPort;

    /// <summary>
    /// The address the dashboard listens on. Default: <c>127.0.0.1</c> (this machine only: the dashboard has no
    /// authentication; use <c>0.0.0.0</c> only on a trusted network).
    /// </summary>
    [ConfigurationKeyName("dashboard_host")]
    public string DashboardHost { get; set; } = "127.0.0.1";

    /// <summary>True when metrics are exported anywhere.</summary>
    public bool ExportsMetrics => !string.IsNullOrWhiteSpace(OtlpEndpoint) || MetricsConsole;
}

/// <summary>
/// TLS of the cluster's connections (Orleans' <c>Microsoft.Orleans.Connections.Security</c>): silo to silo and client or
/// worker to gateway, with certificates required on both sides (mutual TLS). On when <see cref="Certificate"/> is set, in
/// every mode but embedded (whose single silo listens on loopback only). Every silo, worker and client of the cluster sets
/// the same <see cref="Authority"/>; each presents its own certificate issued by it.
/// </summary>
public sealed class TlsSettings
{
    /// <summary>
    /// This process's certificate: a PKCS#12 file (<c>.pfx</c>/<c>.p12</c>, with its private key) or a PEM certificate
    /// (its key in the same file or in <see cref="CertificateKey"/>). Default: none — TLS is off.
    /// </summary>
    [ConfigurationKeyName("certificate")]
    public string? Certificate { get; set; }

    /// <summary>The PEM private key of a PEM <see cref="Certificate"/> kept in a file of its own. Default: none — the key is in the certificate file.</summary>
    [ConfigurationKeyName("certificate_key")]
    public string? CertificateKey { get; set; }

    /// <summary>The password of the PKCS#12 file or of an encrypted PEM key (a secret). Default: none — not encrypted.</summary>
    [ConfigurationKeyName("certificate_password")]
    [Secret]
    public string? CertificatePassword { get; set; }

    /// <summary>A file holding <see cref="CertificatePassword"/> (either, not both). Default: none.</summary>
    [ConfigurationKeyName("certificate_password_file")]
    public string? CertificatePasswordFile { get; set; }

    /// <summary>
    /// A PEM file of the certificate authorities the cluster trusts: a peer's certificate is accepted only when it chains to
    /// one of them (the system's trust store is not used, and host names are not checked: silos are reached by address).
    /// Required with <see cref="Certificate"/>. Default: none.
    /// </summary>
    [ConfigurationKeyName("authority")]
    public string? Authority { get; set; }

    /// <summary>True when TLS is configured.</summary>
    public bool Enabled => !string.IsNullOrWhiteSpace(Certificate);
}

/// <summary>Security of the processes that act for others: the HTTP host's token and the file URLs they may read.</summary>
public sealed class SecuritySettings
{
    /// <summary>
    /// The bearer token of <c>tlc api</c> and <c>tlc dashboard</c> (a secret; <c>TLC_API_TOKEN</c> too). Required when the
    /// host listens on an address other than loopback. Default: none.
    /// </summary>
    [ConfigurationKeyName("api_token")]
    [Secret]
    public string? ApiToken { get; set; }

    /// <summary>A file holding <see cref="ApiToken"/> (either, not both; <c>--token-file</c> too). Default: none.</summary>
    [ConfigurationKeyName("api_token_file")]
    public string? ApiTokenFile { get; set; }

    /// <summary>
    /// Local folders, besides the root and the aliases' folders, whose files <c>file://</c> URLs may name in processes that
    /// restrict them (separated by <c>:</c>, like <c>PATH</c>). Default: none.
    /// </summary>
    [ConfigurationKeyName("file_roots")]
    public string? FileRoots { get; set; }

    /// <summary>
    /// Restricts <c>file://</c> URLs to the allowed folders in every process, not only in those that act on URLs sent by
    /// others (<c>tlc api</c>, <c>tlc dashboard</c>, <c>tlc worker</c>, which always do). Default: false.
    /// </summary>
    [ConfigurationKeyName("restrict_file_urls")]
    public bool RestrictFileUrls { get; set; }
}
