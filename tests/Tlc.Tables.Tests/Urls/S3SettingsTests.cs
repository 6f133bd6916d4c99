using Tlc.Tables.Configuration;
using Tlc.Tables.Urls;
using Tlc.Testing;

namespace Tlc.Tables.Tests.Urls;

/// <summary>The <c>s3</c> settings: validation, the AWS environment variables as fallbacks, registration and masking.</summary>
public sealed class S3SettingsTests : IDisposable
{
    private readonly TempRoot _dir = new("s3-settings");

    public void Dispose() => _dir.Dispose();

    private string Write(string name, string text)
    {
        var path = _dir.File(name);
        File.WriteAllText(path, text);
        return path;
    }

    private string EmptyConfig() => Write("empty.yaml", "tables:\n  compression: none\n");

    [Fact]
    public void Apply_NoS3Settings_RegistersTheS3AdapterForAmazonS3OfTheDefaultRegion()
    {
        var registry = new UrlAdapterRegistry(new UrlAliases(environment: _ => null));
        Assert.Contains("No S3 adapter for 's3://b/k'", Assert.Throws<InvalidOperationException>(() => registry.For(new Url("s3://b/k"))).Message, StringComparison.Ordinal);

        TlcConfiguration.Apply(new TlcOptions { S3 = { Endpoint = "http://127.0.0.1:9000", ConditionalWrites = false } }, registry);

        var adapter = Assert.IsType<S3UrlAdapter>(registry.For(new Url("s3://b/k")));
        Assert.Equal("http://127.0.0.1:9000", adapter.Endpoint);
        Assert.False(adapter.ConditionalWrites);
    }

    [Fact]
    public void Adapter_UnsetSettings_FallBackToTheAwsEnvironmentVariables()
    {
        var environment = new Dictionary<string, string>
        {
            ["AWS_ENDPOINT_URL"] = "http://generic:1",
            ["AWS_ENDPOINT_URL_S3"] = "http://s3-specific:2",
            ["AWS_REGION"] = "eu-west-3",
        };

        using var fromEnvironment = new S3UrlAdapter(new S3Options(), environment.GetValueOrDefault);
        using var fromSettings = new S3UrlAdapter(new S3Options { Endpoint = "https://minio.example:9000" }, environment.GetValueOrDefault);
        using var amazon = new S3UrlAdapter(new S3Options(), k => k == "AWS_DEFAULT_REGION" ? "ap-south-1" : null);
        using var region = new S3UrlAdapter(new S3Options { Region = "us-west-2" }, environment.GetValueOrDefault);

        Assert.Equal("http://s3-specific:2", fromEnvironment.Endpoint);
        Assert.Equal("https://minio.example:9000", fromSettings.Endpoint);
        Assert.Equal("https://s3.ap-south-1.amazonaws.com", amazon.Endpoint);
        Assert.Equal("http://s3-specific:2", region.Endpoint);
        Assert.True(fromEnvironment.ConditionalWrites);
    }

    [Theory]
    [InlineData("s3:endpoint", "ftp://host", "s3.endpoint must be an http(s) URL, got 'ftp://host'.")]
    [InlineData("s3:endpoint", "localhost:9000", "s3.endpoint must be an http(s) URL, got 'localhost:9000'.")]
    [InlineData("s3:access_key_id", "AKIDEXAMPLE", "s3.access_key_id is set but s3.secret_access_key is not")]
    [InlineData("s3:secret_access_key", "wJalrXUtnFEMI/K7MDENG", "s3.secret_access_key is set but s3.access_key_id is not")]
    public void Load_BadS3Settings_FailNamingTheKey(string key, string value, string expected)
    {
        var e = Assert.Throws<FormatException>(() => TlcConfiguration.Load([new(key, value)], configFile: EmptyConfig()));

        Assert.StartsWith(expected, e.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("wJalrXUtnFEMI", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_S3SecretsFromFiles_AndTheSettingsReportMasksThem()
    {
        var secret = Write("secret.txt", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\n");
        var token = Write("token.txt", "FwoGZXIvYXdzEXAMPLETOKEN\n");
        var config = Write("config.yaml", $"""
            s3:
              endpoint: http://127.0.0.1:9000
              access_key_id: AKIDEXAMPLE
              secret_access_key_file: {secret}
              force_path_style: true
            """);
        KeyValuePair<string, string?>[] overrides = [new("s3:session_token_file", token), new("s3:conditional_writes", "false")];

        var options = TlcConfiguration.Load(overrides, configFile: config);
        var report = TlcSettingsReport.Describe(overrides, configFile: config).ToDictionary(s => s.Key, s => (s.Value, s.Source));

        Assert.Equal("wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", options.S3.SecretAccessKey);
        Assert.Equal("FwoGZXIvYXdzEXAMPLETOKEN", options.S3.SessionToken);
        Assert.True(options.S3.ForcePathStyle);
        Assert.False(options.S3.ConditionalWrites);
        Assert.Contains("s3.secret_access_key", TlcSecrets.Keys(options));
        Assert.Contains("s3.session_token", TlcSecrets.Keys(options));
        Assert.Equal(("***", "file named by s3.secret_access_key_file"), report["s3.secret_access_key"]);
        Assert.Equal(("***", "file named by s3.session_token_file"), report["s3.session_token"]);
        Assert.Equal(("AKIDEXAMPLE", $"file {config}"), report["s3.access_key_id"]);
        Assert.Equal(("http://127.0.0.1:9000", $"file {config}"), report["s3.endpoint"]);
        Assert.Equal(("false", "command line"), report["s3.conditional_writes"]);
        Assert.Equal(((string?)null, "default"), report["s3.region"]);
        var redacted = TlcSecrets.Redact($"key {options.S3.SecretAccessKey}, token {options.S3.SessionToken}", TlcSecrets.Values(options));
        Assert.Equal("key ***, token ***", redacted);
    }
}
