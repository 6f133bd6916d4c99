using System.Text;
using System.Text.Json;
using Tlc.Tables.Urls;
using Tlc.Testing;

namespace Tlc.Cli.Tests;

/// <summary><c>tlc</c> with an <c>s3://</c> root, import source and export target, against s3rver on loopback.</summary>
public sealed class S3CliTests : IAsyncLifetime
{
    private S3rver _server = null!;
    private S3UrlAdapter _adapter = null!;

    public async ValueTask InitializeAsync()
    {
        _server = await S3rver.StartAsync(conditionalWrites: true);
        _adapter = _server.NewAdapter();
    }

    public async ValueTask DisposeAsync()
    {
        _adapter.Dispose();
        await _server.DisposeAsync();
    }

    private Dictionary<string, string?> Settings() => new()
    {
        ["TLC_CONFIG_FILE"] = null,
        ["TLC_S3__ENDPOINT"] = _server.Endpoint,
        ["TLC_S3__ACCESS_KEY_ID"] = S3rver.AccessKeyId,
        ["TLC_S3__SECRET_ACCESS_KEY"] = S3rver.SecretAccessKey,
        ["TLC_S3__FORCE_PATH_STYLE"] = "true",
    };

    [Fact(Timeout = 180_000)]
    public async Task ImportEditExport_S3RootSourceAndTarget_AndTheConfigMasksTheSecret()
    {
        var ct = TestContext.Current.CancellationToken;
        var bucket = await _server.CreateBucketAsync("cli", ct);
        var root = $"s3://{bucket}/root";
        var source = new Url($"s3://{bucket}/in/data.csv");
        await _adapter.WriteAllBytesAsync(source, "id,name,score\n1,a,0.5\n2,b,1.5\n3,\"c,d\",2.5\n"u8.ToArray(), WriteMode.CreateNew, ct);
        var environment = Settings();

        var imported = await CliProcess.RunAsync(["import", "csv", source.Value, "--project", "p", "--dataset", "d", "--root", root, "--json"], environment);

        Assert.True(imported.ExitCode == 0, imported.Stderr);
        string url;
        using (var json = JsonDocument.Parse(imported.Stdout))
        {
            url = json.RootElement.GetProperty("url").GetString()!;
            Assert.Equal($"{root}/projects/p/datasets/d/tables/data", url);
            Assert.Equal(3, json.RootElement.GetProperty("rows").GetInt64());
        }
        var edited = await CliProcess.RunAsync(["table", "edit", url, "--weight", "1=0", "--root", root], environment);
        Assert.True(edited.ExitCode == 0, edited.Stderr);
        var latest = await CliProcess.RunAsync(["table", "latest", url, "--root", root], environment);
        Assert.Equal($"{url}.r0001", latest.Stdout.Trim());

        var target = new Url($"s3://{bucket}/out/data.ndjson");
        var exported = await CliProcess.RunAsync(["export", latest.Stdout.Trim(), "json", target.Value, "--weight-threshold", "0.5", "--root", root, "--json"], environment);

        Assert.True(exported.ExitCode == 0, exported.Stderr);
        var lines = Encoding.UTF8.GetString(await _adapter.ReadAllBytesAsync(target, ct)).TrimEnd('\n').Split('\n');
        Assert.Equal([1L, 3], lines.Select(l => JsonDocument.Parse(l).RootElement.GetProperty("id").GetInt64()));

        var config = await CliProcess.RunAsync(["config", "--root", root, "--json"], environment);
        Assert.True(config.ExitCode == 0, config.Stderr);
        using var settings = JsonDocument.Parse(config.Stdout);
        var byKey = settings.RootElement.GetProperty("settings").EnumerateArray()
            .ToDictionary(s => s.GetProperty("key").GetString()!, s => (s.GetProperty("value").GetString(), s.GetProperty("source").GetString()));
        Assert.Equal(("***", "environment TLC_S3__SECRET_ACCESS_KEY"), byKey["s3.secret_access_key"]);
        Assert.Equal((_server.Endpoint, "environment TLC_S3__ENDPOINT"), byKey["s3.endpoint"]);
        Assert.Equal(("true", "environment TLC_S3__FORCE_PATH_STYLE"), byKey["s3.force_path_style"]);
        Assert.Equal((root, "command line"), byKey["root"]);
    }

    [Fact(Timeout = 120_000)]
    public async Task AwsEnvironmentVariables_ReachTheStore_AndBadInputFailsWithOneLineNamingTheUrl()
    {
        var ct = TestContext.Current.CancellationToken;
        var bucket = await _server.CreateBucketAsync("cli-env", ct);
        var source = new Url($"s3://{bucket}/in/w.csv");
        await _adapter.WriteAllBytesAsync(source, "id\n1\n2\n"u8.ToArray(), WriteMode.CreateNew, ct);
        var environment = new Dictionary<string, string?>
        {
            ["TLC_CONFIG_FILE"] = null,
            ["AWS_ENDPOINT_URL"] = _server.Endpoint,
            ["AWS_ACCESS_KEY_ID"] = S3rver.AccessKeyId,
            ["AWS_SECRET_ACCESS_KEY"] = S3rver.SecretAccessKey,
            ["AWS_REGION"] = "us-east-1",
            ["TLC_S3__FORCE_PATH_STYLE"] = "true",
        };

        var imported = await CliProcess.RunAsync(["import", "csv", source.Value, "--root", $"s3://{bucket}/root", "--json"], environment);
        Assert.True(imported.ExitCode == 0, imported.Stderr);

        var missing = S3rver.NewBucketName("absent");
        var noBucket = await CliProcess.RunAsync(["import", "csv", source.Value, "--root", $"s3://{missing}/root"], environment);
        Assert.Equal(1, noBucket.ExitCode);
        Assert.StartsWith($"tlc: The bucket '{missing}' of s3://{missing}/root/", noBucket.Stderr, StringComparison.Ordinal);
        Assert.Contains($"does not exist at {_server.Endpoint}", noBucket.Stderr, StringComparison.Ordinal);

        environment["AWS_ACCESS_KEY_ID"] = "NOBODY";
        var refused = await CliProcess.RunAsync(["import", "csv", source.Value, "--root", $"s3://{bucket}/root2"], environment);
        Assert.Equal(1, refused.ExitCode);
        Assert.StartsWith($"tlc: {_server.Endpoint} refused to ", refused.Stderr, StringComparison.Ordinal);
        Assert.Contains($"s3://{bucket}/", refused.Stderr, StringComparison.Ordinal);
        Assert.Contains(": 403 ", refused.Stderr, StringComparison.Ordinal);
        Assert.Contains("Check the credentials (AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY)", refused.Stderr, StringComparison.Ordinal);
    }
}
