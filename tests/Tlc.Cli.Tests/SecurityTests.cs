using System.Net;
using System.Net.Http.Headers;
using Tlc.Testing;

namespace Tlc.Cli.Tests;

/// <summary>
/// Security of real <c>tlc</c> processes: the HTTP host refuses to serve off loopback without a token and checks it, and
/// secrets (a connection string's account key, the API token) appear in no output of a failing or serving process.
/// </summary>
[Collection(ClusterProcesses.Name)]
public sealed class SecurityTests : IDisposable
{
    private const string Token = "tlc-test-token-7f3a9c";
    private readonly TempRoot _root = new("security");

    public void Dispose() => _root.Dispose();

    [Fact(Timeout = 120_000)]
    public async Task Api_NonLoopbackHostWithoutToken_RefusesToStartWithClearError()
    {
        var result = await CliProcess.RunAsync(["api", "--root", _root.Path, "--host", "0.0.0.0", "--port", "0"], new Dictionary<string, string?> { ["TLC_API_TOKEN"] = null });
        Assert.Equal(1, result.ExitCode);
        Assert.StartsWith("tlc: Refusing to serve 0.0.0.0 without a token: an address other than loopback needs one (security.api_token or TLC_API_TOKEN, security.api_token_file or --token-file FILE).", result.Stderr, StringComparison.Ordinal);
    }

    [Fact(Timeout = 180_000)]
    public async Task Api_TokenFromFile_RequestsWithoutOrWithWrongToken401_RightOneServes_TokenNeverPrinted()
    {
        var file = _root.File("secrets/api-token");
        await File.WriteAllTextAsync(file, Token + "\n", TestContext.Current.CancellationToken);
        var port = ClusterCliSupport.FreePort();
        await using var api = CliProcess.Start(["api", "--root", _root.Path, "--host", "0.0.0.0", "--port", $"{port}", "--token-file", file]);
        var banner = await api.WaitForLineAsync("Training API at", TimeSpan.FromSeconds(90));
        Assert.Contains("requests need 'Authorization: Bearer <token>'", banner, StringComparison.Ordinal);
        await AssertGuardedAsync(port);
        Assert.Equal(0, await api.StopAsync());
        Assert.DoesNotContain(Token, api.Stdout + api.Stderr, StringComparison.Ordinal);
    }

    [Fact(Timeout = 180_000)]
    public async Task Dashboard_TokenFromEnvironment_GuardsThePage_TokenNeverPrinted()
    {
        var port = ClusterCliSupport.FreePort();
        await using var dashboard = CliProcess.Start(["dashboard", "--root", _root.Path, "--host", "0.0.0.0", "--port", $"{port}"], new Dictionary<string, string?> { ["TLC_API_TOKEN"] = Token });
        var banner = await dashboard.WaitForLineAsync("Dashboard at", TimeSpan.FromSeconds(90));
        Assert.Contains("?token=<token> once", banner, StringComparison.Ordinal);
        await AssertGuardedAsync(port);
        Assert.Equal(0, await dashboard.StopAsync());
        Assert.DoesNotContain(Token, dashboard.Stdout + dashboard.Stderr, StringComparison.Ordinal);
    }

    [Fact(Timeout = 240_000)]
    public async Task AzureMode_WrongAccountKey_KeyAndConnectionStringInNeitherOutputOfFailingCommands()
    {
        // A recognisable account key that Azurite rejects: every request fails authentication.
        var key = Convert.ToBase64String("TLC-SECRET-ACCOUNT-KEY-0123456789abcdef"u8.ToArray());
        var connection = $"DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey={key};" +
            "BlobEndpoint=http://127.0.0.1:10000/devstoreaccount1;TableEndpoint=http://127.0.0.1:10002/devstoreaccount1;";
        _ = Azurite.ConnectionString; // Azurite must run: the failures below are the account key's, not a missing server's
        var id = Guid.NewGuid().ToString("N")[..10];
        var secretFile = _root.File("secrets/connection");
        await File.WriteAllTextAsync(secretFile, connection, TestContext.Current.CancellationToken);
        var environment = new Dictionary<string, string?>
        {
            ["TLC_CLUSTER__MODE"] = "azure",
            ["TLC_CLUSTER__CLUSTER_ID"] = $"secret-{id}",
            ["TLC_CLUSTER__CONNECTION_STRING_FILE"] = secretFile,
            ["TLC_AZURE__CONNECTION_STRING"] = connection,
            ["TLC_CLUSTER__SILO_PORT"] = $"{ClusterCliSupport.FreePort()}",
            ["TLC_CLUSTER__GATEWAY_PORT"] = $"{ClusterCliSupport.FreePort()}",
        };

        var outputs = new List<(string What, string Text)>();
        var runs = await CliProcess.RunAsync(["runs", "--root", _root.Path, "--verbose"], environment, TimeSpan.FromSeconds(120));
        Assert.Equal(1, runs.ExitCode);
        outputs.Add(("tlc runs", runs.Stdout + runs.Stderr));
        var blob = await CliProcess.RunAsync(["tables", "--root", $"azure://secret-{id}/root", "--verbose"], environment, TimeSpan.FromSeconds(120));
        Assert.NotEqual(0, blob.ExitCode);
        outputs.Add(("tlc tables (azure root)", blob.Stdout + blob.Stderr));
        await using (var silo = CliProcess.Start(["silo", "--root", _root.Path, "--verbose"], environment))
        {
            // The silo keeps retrying the storage it cannot authenticate to, logging each failure with the SDK's exception.
            await silo.WaitForLineAsync("AuthorizationFailure", TimeSpan.FromSeconds(90));
            await silo.KillAsync();
            outputs.Add(("tlc silo", silo.Stdout + silo.Stderr));
        }
        foreach (var (what, text) in outputs)
        {
            Assert.False(string.IsNullOrWhiteSpace(text), $"{what} said nothing");
            Assert.DoesNotContain(key, text, StringComparison.Ordinal);
            Assert.DoesNotContain(Uri.EscapeDataString(key), text, StringComparison.Ordinal);
            Assert.DoesNotContain("TLC-SECRET", text, StringComparison.Ordinal);
        }
    }

    private static async Task AssertGuardedAsync(int port)
    {
        var ct = TestContext.Current.CancellationToken;
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}") };
        foreach (var path in new[] { "/v1/projects", "/" })
        {
            using var none = await http.GetAsync(path, ct);
            Assert.Equal(HttpStatusCode.Unauthorized, none.StatusCode);
            using var wrong = new HttpRequestMessage(HttpMethod.Get, path) { Headers = { Authorization = new AuthenticationHeaderValue("Bearer", "not-" + Token) } };
            Assert.Equal(HttpStatusCode.Unauthorized, (await http.SendAsync(wrong, ct)).StatusCode);
            using var right = new HttpRequestMessage(HttpMethod.Get, path) { Headers = { Authorization = new AuthenticationHeaderValue("Bearer", Token) } };
            Assert.Equal(HttpStatusCode.OK, (await http.SendAsync(right, ct)).StatusCode);
        }
    }
}
