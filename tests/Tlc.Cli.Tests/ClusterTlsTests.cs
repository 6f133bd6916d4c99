using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json;
using Tlc.Testing;

namespace Tlc.Cli.Tests;

/// <summary>
/// A TLS cluster of real processes (cluster.tls): two <c>tlc silo</c> processes over Azurite with certificates from a
/// test authority made here, a client with its own certificate running an import job; a client without a certificate, and
/// one whose certificate another authority issued, are refused with a message saying why.
/// </summary>
[Collection(ClusterProcesses.Name)]
public sealed class ClusterTlsTests : IAsyncLifetime
{
    private const string PfxPassword = "pfx-password-5d1e";
    private readonly TempRoot _root = new("cluster-tls");
    private readonly string _state = Azurite.NewContainerName("tls-state");

    public ValueTask InitializeAsync() => ValueTask.CompletedTask;

    public async ValueTask DisposeAsync()
    {
        await Azurite.DeleteContainerAsync(_state);
        _root.Dispose();
    }

    [Fact(Timeout = 300_000)]
    public async Task TlsCluster_TwoSilosAndCertifiedClient_RunAJob_ClientsWithoutOrWithUntrustedCertificateRefused()
    {
        var ct = TestContext.Current.CancellationToken;
        var pki = Directory.CreateDirectory(Path.Combine(_root.Path, "pki")).FullName;
        using var authority = Authority("CN=Tlc Test Cluster CA");
        using var rogueAuthority = Authority("CN=Somebody Else's CA");
        await File.WriteAllTextAsync(Path.Combine(pki, "ca.pem"), authority.ExportCertificatePem(), ct);
        await File.WriteAllTextAsync(Path.Combine(pki, "password"), PfxPassword + "\n", ct);
        // Silos: PKCS#12 files with a password read from a file; the client: PEM certificate and key.
        await WritePfxAsync(Issue(authority, "CN=silo-a"), Path.Combine(pki, "silo-a.pfx"));
        await WritePfxAsync(Issue(authority, "CN=silo-b"), Path.Combine(pki, "silo-b.pfx"));
        await WritePemAsync(Issue(authority, "CN=client"), Path.Combine(pki, "client"));
        await WritePemAsync(Issue(rogueAuthority, "CN=intruder"), Path.Combine(pki, "intruder"));

        var id = Guid.NewGuid().ToString("N")[..10];
        Dictionary<string, string?> Settings(IReadOnlyDictionary<string, string?>? extra = null)
        {
            var settings = new Dictionary<string, string?>
            {
                ["TLC_CLUSTER__MODE"] = "azure",
                ["TLC_CLUSTER__CONNECTION_STRING"] = Azurite.ConnectionString,
                ["TLC_CLUSTER__CLUSTER_ID"] = $"tls-{id}",
                ["TLC_CLUSTER__SERVICE_ID"] = $"tls-{id}",
                ["TLC_CLUSTER__STATE_CONTAINER"] = _state,
                ["TLC_CLUSTER__RESPONSE_TIMEOUT_SECONDS"] = "15",
            };
            foreach (var (key, value) in extra ?? new Dictionary<string, string?>())
            {
                settings[key] = value;
            }
            return settings;
        }
        Dictionary<string, string?> Silo(string name) => Settings(new Dictionary<string, string?>
        {
            ["TLC_CLUSTER__TLS__CERTIFICATE"] = Path.Combine(pki, $"{name}.pfx"),
            ["TLC_CLUSTER__TLS__CERTIFICATE_PASSWORD_FILE"] = Path.Combine(pki, "password"),
            ["TLC_CLUSTER__TLS__AUTHORITY"] = Path.Combine(pki, "ca.pem"),
            ["TLC_CLUSTER__SILO_PORT"] = $"{ClusterCliSupport.FreePort()}",
            ["TLC_CLUSTER__GATEWAY_PORT"] = $"{ClusterCliSupport.FreePort()}",
        });
        Dictionary<string, string?> Client(string name, string authorityFile = "ca.pem") => Settings(new Dictionary<string, string?>
        {
            ["TLC_CLUSTER__TLS__CERTIFICATE"] = Path.Combine(pki, $"{name}.crt"),
            ["TLC_CLUSTER__TLS__CERTIFICATE_KEY"] = Path.Combine(pki, $"{name}.key"),
            ["TLC_CLUSTER__TLS__AUTHORITY"] = Path.Combine(pki, authorityFile),
        });

        await using var siloA = CliProcess.Start(["silo", "--root", _root.Path], Silo("silo-a"));
        await siloA.WaitForLineAsync($"Silo joined cluster 'tls-{id}'", TimeSpan.FromSeconds(90));
        await using var siloB = CliProcess.Start(["silo", "--root", _root.Path], Silo("silo-b"));
        await siloB.WaitForLineAsync($"Silo joined cluster 'tls-{id}'", TimeSpan.FromSeconds(90));

        // A job through the TLS gateways, converted by a worker inside the client.
        var csv = _root.File("input/small.csv");
        await File.WriteAllLinesAsync(csv, ["id,name", .. Enumerable.Range(0, 200).Select(i => $"{i},row-{i}")], ct);
        var import = await CliProcess.RunAsync(["import", "csv", csv, "--root", _root.Path, "--dataset", "d", "--table", "t", "--cluster", "--workers", "1", "--chunk-mb", "0.001", "--json"],
            Client("client"), TimeSpan.FromSeconds(150));
        Assert.True(import.ExitCode == 0, $"{import.Stderr}\n{siloA.Transcript}\n{siloB.Transcript}");
        using (var json = JsonDocument.Parse(import.Stdout))
        {
            Assert.Equal(200, json.RootElement.GetProperty("rows").GetInt64());
        }

        // No certificate: the client speaks plain TCP to TLS gateways and is refused.
        var plain = await CliProcess.RunAsync(["jobs", "--root", _root.Path], Settings(), TimeSpan.FromSeconds(150));
        Assert.Equal(1, plain.ExitCode);
        Assert.StartsWith($"tlc: Could not connect to cluster 'tls-{id}' (azure):", plain.Stderr, StringComparison.Ordinal);
        Assert.Contains("If the silos use TLS (cluster.tls), set cluster.tls.certificate and cluster.tls.authority here too", plain.Stderr, StringComparison.Ordinal);

        // A certificate from another authority: the silos refuse it (and log why); the client says it failed over TLS.
        await File.WriteAllTextAsync(Path.Combine(pki, "both.pem"), authority.ExportCertificatePem() + "\n" + rogueAuthority.ExportCertificatePem(), ct);
        var intruder = await CliProcess.RunAsync(["jobs", "--root", _root.Path], Client("intruder", "both.pem"), TimeSpan.FromSeconds(150));
        Assert.Equal(1, intruder.ExitCode);
        Assert.StartsWith($"tlc: Could not connect to cluster 'tls-{id}' (azure) over TLS:", intruder.Stderr, StringComparison.Ordinal);
        Assert.Contains("the silos accept it only when it was issued by their cluster.tls.authority", intruder.Stderr, StringComparison.Ordinal);
        const string Refusal = "Refused a TLS peer: its certificate 'CN=intruder' (issued by 'CN=Somebody Else's CA') does not chain to cluster.tls.authority";
        for (var wait = 0; wait < 50 && !(siloA.Stdout + siloB.Stdout).Contains(Refusal, StringComparison.Ordinal); wait++)
        {
            await Task.Delay(200, ct);
        }
        Assert.Contains(Refusal, siloA.Stdout + siloB.Stdout, StringComparison.Ordinal);

        // The certified client still works, and the silos' password appears in no output.
        var jobs = await CliProcess.RunAsync(["jobs", "--root", _root.Path, "--json"], Client("client"), TimeSpan.FromSeconds(120));
        Assert.True(jobs.ExitCode == 0, jobs.Stderr);
        Assert.Equal(0, await siloB.StopAsync(TimeSpan.FromSeconds(60)));
        Assert.Equal(0, await siloA.StopAsync(TimeSpan.FromSeconds(60)));
        Assert.DoesNotContain(PfxPassword, siloA.Transcript + siloB.Transcript, StringComparison.Ordinal);
    }

    private static X509Certificate2 Authority(string subject)
    {
        using var key = RSA.Create(2048);
        var request = new CertificateRequest(subject, key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        return request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(30));
    }

    private static X509Certificate2 Issue(X509Certificate2 authority, string subject)
    {
        using var key = RSA.Create(2048);
        var request = new CertificateRequest(subject, key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, false));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature | X509KeyUsageFlags.KeyEncipherment, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1"), new Oid("1.3.6.1.5.5.7.3.2")], false));
        var names = new SubjectAlternativeNameBuilder();
        names.AddIpAddress(IPAddress.Loopback);
        request.CertificateExtensions.Add(names.Build());
        request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(authority, true, false));
        using var issued = request.Create(authority, DateTimeOffset.UtcNow.AddHours(-1), DateTimeOffset.UtcNow.AddDays(20), RandomNumberGenerator.GetBytes(12));
        return issued.CopyWithPrivateKey(key);
    }

    private static async Task WritePfxAsync(X509Certificate2 certificate, string path)
    {
        using (certificate)
        {
            await File.WriteAllBytesAsync(path, certificate.Export(X509ContentType.Pfx, PfxPassword), TestContext.Current.CancellationToken);
        }
    }

    private static async Task WritePemAsync(X509Certificate2 certificate, string stem)
    {
        using (certificate)
        {
            await File.WriteAllTextAsync(stem + ".crt", certificate.ExportCertificatePem(), TestContext.Current.CancellationToken);
            await File.WriteAllTextAsync(stem + ".key", certificate.GetRSAPrivateKey()!.ExportPkcs8PrivateKeyPem(), TestContext.Current.CancellationToken);
        }
    }
}
