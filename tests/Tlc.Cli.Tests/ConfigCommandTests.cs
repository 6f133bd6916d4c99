using System.Text.Json;
using Tlc.Testing;

namespace Tlc.Cli.Tests;

/// <summary><c>tlc config</c>: every setting's effective value and its source, secrets masked.</summary>
public sealed class ConfigCommandTests : IDisposable
{
    private readonly TempRoot _root = new("cli-config");

    public void Dispose() => _root.Dispose();

    [Fact(Timeout = 60_000)]
    public async Task Config_FileEnvironmentCommandLineAndDefaults_EachSettingNamesItsSource_SecretsMasked()
    {
        var token = _root.File("secrets/token");
        File.WriteAllText(token, "s3cr3t-token-value");
        var file = _root.File("config.yaml");
        File.WriteAllText(file, $"""
            tables:
              batch_rows: 1000
            aliases:
              DATA: {_root.Path}
            cluster:
              connection_string: "DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=c2VjcmV0LWtleQ==;BlobEndpoint=http://127.0.0.1:1/devstoreaccount1;"
            security:
              api_token_file: {token}
            """);
        var environment = new Dictionary<string, string?> { ["TLC_CONFIG_FILE"] = file, ["TLC_TABLES__COMPRESSION"] = "zstd" };

        var result = await CliProcess.RunAsync(["config", "--root", _root.Path, "--json"], environment);

        Assert.True(result.ExitCode == 0, result.Stderr);
        Assert.DoesNotContain("c2VjcmV0LWtleQ", result.Stdout, StringComparison.Ordinal);
        Assert.DoesNotContain("s3cr3t", result.Stdout, StringComparison.Ordinal);
        using var json = JsonDocument.Parse(result.Stdout);
        Assert.Equal(Path.GetFullPath(file), json.RootElement.GetProperty("config_file").GetString());
        var settings = json.RootElement.GetProperty("settings").EnumerateArray()
            .ToDictionary(s => s.GetProperty("key").GetString()!, s => (s.GetProperty("value").GetString(), s.GetProperty("source").GetString()));
        Assert.Equal(("1000", $"file {Path.GetFullPath(file)}"), settings["tables.batch_rows"]);
        Assert.Equal(("zstd", "environment TLC_TABLES__COMPRESSION"), settings["tables.compression"]);
        Assert.Equal((_root.Path, "command line"), settings["root"]);
        Assert.Equal(("1048576", "default"), settings["tables.chunk_rows"]);
        Assert.Equal((_root.Path, $"file {Path.GetFullPath(file)}"), settings["aliases.DATA"]);
        Assert.Equal(("***", $"file {Path.GetFullPath(file)}"), settings["cluster.connection_string"]);
        Assert.Equal(("***", "file named by security.api_token_file"), settings["security.api_token"]);
        Assert.Equal(((string?)null, "default"), settings["cluster.advertised_ip"]);

        var text = await CliProcess.RunAsync(["config", "--root", _root.Path], environment);
        Assert.True(text.ExitCode == 0, text.Stderr);
        Assert.Contains("tables.compression", text.Stdout, StringComparison.Ordinal);
        Assert.Contains("environment TLC_TABLES__COMPRESSION", text.Stdout, StringComparison.Ordinal);
        Assert.DoesNotContain("s3cr3t", text.Stdout, StringComparison.Ordinal);
    }
}
