using System.Globalization;
using System.Net.NetworkInformation;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Tlc.Silo.Hosting;

/// <summary>
/// A silo's readiness (the readiness endpoint of <c>tlc silo</c>): it has started, the cluster's membership lists it as
/// active, and its gateway port has a listening socket; not while it stops.
/// </summary>
internal sealed class SiloReadiness
{
    private volatile IHost? _host;
    private volatile bool _stopping;
    private int _gatewayPort;

    /// <summary>The silo host has started, its gateway on <paramref name="gatewayPort"/>.</summary>
    public void Started(IHost host, int gatewayPort)
    {
        _gatewayPort = gatewayPort;
        _host = host;
    }

    /// <summary>The silo is shutting down: not ready any more.</summary>
    public void Stopping() => _stopping = true;

    /// <summary>Null when ready, else why not.</summary>
    public ValueTask<string?> CheckAsync(CancellationToken cancellationToken) => ValueTask.FromResult(Check());

    private string? Check()
    {
        if (_stopping)
        {
            return "the silo is stopping";
        }
        if (_host is not { } host)
        {
            return "the silo is starting (joining the cluster)";
        }
        var self = host.Services.GetRequiredService<ILocalSiloDetails>().SiloAddress;
        var status = host.Services.GetRequiredService<IClusterMembershipService>().CurrentSnapshot.GetSiloStatus(self);
        if (status != SiloStatus.Active)
        {
            return $"the cluster's membership lists this silo ({self}) as {status}, not Active";
        }
        // A listening socket on the gateway port, as the system lists it: no connection is made, so a TLS gateway logs no
        // aborted handshake for each probe.
        if (!IPGlobalProperties.GetIPGlobalProperties().GetActiveTcpListeners().Any(e => e.Port == _gatewayPort))
        {
            return string.Create(CultureInfo.InvariantCulture, $"its gateway does not listen on port {_gatewayPort}");
        }
        return null;
    }
}
