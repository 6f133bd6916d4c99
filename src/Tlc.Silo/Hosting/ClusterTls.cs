using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Orleans;
using Orleans.Configuration;
using Orleans.Connections.Security;
using Tlc.Tables.Configuration;

namespace Tlc.Silo.Hosting;

/// <summary>
/// TLS of the cluster's connections from <c>cluster.tls</c> (<see cref="TlsSettings"/>): every silo-to-silo and
/// client-to-gateway connection is TLS with a certificate required on both sides, and a peer's certificate is accepted only
/// when it chains to <c>cluster.tls.authority</c> (no system trust, no host-name check: silos are reached by address).
/// </summary>
public static partial class ClusterTls
{
    /// <summary>The log category of Tlc's TLS refusals (and of Orleans' TLS middleware, whose category starts alike).</summary>
    public const string LogCategory = "Tlc.Silo.Hosting.ClusterTls";

    /// <summary>
    /// Makes a silo's inbound (silo and gateway) and outbound connections TLS, requiring the peer's certificate; refused
    /// peers are logged (<see cref="LogCategory"/>, warning).
    /// </summary>
    public static ISiloBuilder UseClusterTls(this ISiloBuilder builder, TlsSettings tls)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(tls);
        var (certificate, authority) = Load(tls);
        return builder.Configure<SiloConnectionOptions>(connections =>
        {
            connections.ConfigureSiloInboundConnection(c => c.UseServerTls(Options(certificate, authority, c.ApplicationServices)));
            connections.ConfigureGatewayInboundConnection(c => c.UseServerTls(Options(certificate, authority, c.ApplicationServices)));
            connections.ConfigureSiloOutboundConnection(c => c.UseClientTls(Options(certificate, authority, c.ApplicationServices)));
        });
    }

    /// <summary>Makes a client's gateway connections TLS: it presents its certificate and checks the silo's.</summary>
    public static IClientBuilder UseClusterTls(this IClientBuilder builder, TlsSettings tls)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(tls);
        var (certificate, authority) = Load(tls);
        return builder.Configure<ClientConnectionOptions>(connections =>
            connections.ConfigureConnection(c => c.UseClientTls(Options(certificate, authority, c.ApplicationServices))));
    }

    /// <summary>Loads this process's certificate (with its private key) and the trusted authorities.</summary>
    /// <exception cref="FormatException">A file cannot be read as what its key says it is; the message names the key.</exception>
    public static (X509Certificate2 Certificate, X509Certificate2Collection Authority) Load(TlsSettings tls)
    {
        ArgumentNullException.ThrowIfNull(tls);
        if (!tls.Enabled)
        {
            throw new InvalidOperationException("cluster.tls.certificate is not set.");
        }
        X509Certificate2 certificate;
        try
        {
            var path = tls.Certificate!;
            if (IsPem(path))
            {
                certificate = string.IsNullOrEmpty(tls.CertificatePassword)
                    ? X509Certificate2.CreateFromPemFile(path, tls.CertificateKey)
                    : X509Certificate2.CreateFromEncryptedPemFile(path, tls.CertificatePassword, tls.CertificateKey);
            }
            else
            {
                certificate = X509CertificateLoader.LoadPkcs12FromFile(path, tls.CertificatePassword);
            }
        }
        catch (Exception e) when (e is CryptographicException or IOException or ArgumentException or UnauthorizedAccessException)
        {
            throw new FormatException($"cluster.tls.certificate: cannot load '{tls.Certificate}'{(tls.CertificateKey is null ? "" : $" with the key '{tls.CertificateKey}'")}: {e.Message}", e);
        }
        if (!certificate.HasPrivateKey)
        {
            throw new FormatException($"cluster.tls.certificate: '{tls.Certificate}' holds no private key (put it in the file, or name it with cluster.tls.certificate_key).");
        }
        var authority = new X509Certificate2Collection();
        try
        {
            authority.ImportFromPemFile(tls.Authority!);
        }
        catch (Exception e) when (e is CryptographicException or IOException or UnauthorizedAccessException)
        {
            throw new FormatException($"cluster.tls.authority: cannot read '{tls.Authority}' as PEM certificates: {e.Message}", e);
        }
        if (authority.Count == 0)
        {
            throw new FormatException($"cluster.tls.authority: '{tls.Authority}' holds no PEM certificate.");
        }
        return (certificate, authority);
    }

    /// <summary>
    /// True when <paramref name="certificate"/> chains to one of <paramref name="authority"/> (and is within its validity);
    /// otherwise false with the reason.
    /// </summary>
    public static bool IsTrusted(X509Certificate2 certificate, X509Certificate2Collection authority, out string? reason)
    {
        ArgumentNullException.ThrowIfNull(certificate);
        ArgumentNullException.ThrowIfNull(authority);
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.AddRange(authority);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        if (chain.Build(certificate))
        {
            reason = null;
            return true;
        }
        reason = string.Join("; ", chain.ChainStatus.Select(s => s.StatusInformation.Trim()).Where(s => s.Length > 0).Distinct());
        return false;
    }

    private static TlsOptions Options(X509Certificate2 certificate, X509Certificate2Collection authority, IServiceProvider services)
    {
        var refusals = services.GetService<ILoggerFactory>()?.CreateLogger(LogCategory);
        var options = new TlsOptions { LocalCertificate = certificate };
        options.RemoteCertificateMode = RemoteCertificateMode.RequireCertificate;
        options.ClientCertificateMode = RemoteCertificateMode.RequireCertificate;
        options.RemoteCertificateValidation = (certificate, _, _) =>
        {
            if (IsTrusted(certificate, authority, out var reason))
            {
                return true;
            }
            if (refusals is not null)
            {
                LogRefused(refusals, certificate.Subject, certificate.Issuer, reason ?? "");
            }
            return false;
        };
        return options;
    }

    private static bool IsPem(string path)
    {
        using var reader = new StreamReader(path);
        var buffer = new char[4096];
        var read = reader.Read(buffer, 0, buffer.Length);
        return new string(buffer, 0, read).Contains("-----BEGIN", StringComparison.Ordinal);
    }
}
