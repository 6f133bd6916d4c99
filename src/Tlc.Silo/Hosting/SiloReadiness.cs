using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Tlc.Silo.Hosting;

/// <summary>
/// A silo's readiness (the readiness endpoint of <c>tlc silo</c>): it has started, the cluster's membership lists it as
/// active, and its gateway accepts TCP connections; not while it stops.
/// </summary>
internal sealed class SiloReadiness
{
    private static readonly TimeSpan ConnectTimeout = TimeSpan.FromSeconds(2);
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
    public async ValueTask<string?> CheckAsync(CancellationToken cancellationToken)
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
        using var tcp = new TcpClient();
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(ConnectTimeout);
        try
        {
            await tcp.ConnectAsync(IPAddress.Loopback, _gatewayPort, timeout.Token).ConfigureAwait(false);
        }
        catch (Exception e) when (e is SocketException or OperationCanceledException)
        {
            return string.Create(CultureInfo.InvariantCulture, $"its gateway (port {_gatewayPort}) does not accept connections: {e.Message}");
        }
        return null;
    }
}
