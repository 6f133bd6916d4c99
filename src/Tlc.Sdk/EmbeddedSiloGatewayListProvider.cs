using System.Net;
using Orleans.Messaging;
using Tlc.Silo.Hosting;

namespace Tlc;

/// <summary>
/// The gateway list of a client of a root's embedded silo: the gateway port <c>.silo/silo.json</c> names, read again
/// at every refresh of the Orleans client's list (every <see cref="MaxStaleness"/>, and at once while the client knows no
/// live gateway), so a silo restarted on new ports — a new process after a crash — is found without restarting the
/// client. While the record names a process that has ended, the list is empty: the client then fails calls at once
/// ("No gateways available") rather than knocking on a port nobody listens on. A record that cannot be read (being
/// replaced, removed) leaves the last list as it was, so a healthy connection is never dropped for it.
/// </summary>
/// <param name="root">The root whose silo is served.</param>
/// <param name="refreshPeriod">How often the Orleans client asks again (its <c>GatewayOptions.GatewayListRefreshPeriod</c>).</param>
internal sealed class EmbeddedSiloGatewayListProvider(Url root, TimeSpan refreshPeriod) : IGatewayListProvider
{
    private IList<Uri> _last = [];

    /// <inheritdoc />
    public TimeSpan MaxStaleness => refreshPeriod;

    /// <inheritdoc />
    [Obsolete("Orleans considers every provider updatable.")]
    public bool IsUpdatable => true;

    /// <inheritdoc />
    public Task InitializeGatewayListProvider() => Task.CompletedTask;

    /// <inheritdoc />
    public Task<IList<Uri>> GetGateways()
    {
        if (EmbeddedSilo.ReadRecord(root) is { GatewayPort: > 0 } silo)
        {
            _last = silo.IsAlive ? [new IPEndPoint(IPAddress.Loopback, silo.GatewayPort).ToGatewayUri()] : [];
        }
        return Task.FromResult(_last);
    }
}
