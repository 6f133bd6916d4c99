using Microsoft.Extensions.Configuration;

namespace Tlc.Tables.Configuration;

/// <summary>
/// The HTTP health endpoints of the server processes (<c>tlc silo</c>, <c>tlc worker</c>, <c>dotnet Tlc.Silo.dll</c>,
/// <c>dotnet Tlc.Workers.dll</c>) that container orchestrators probe: <see cref="LivenessPath"/> answers 200 while the
/// process runs, <see cref="ReadinessPath"/> 200 once it serves (a silo: joined the cluster and its gateway listens
/// for connections; a worker: connected to a gateway and registered with the worker registry) and 503 otherwise. Off unless a
/// port is set. The paths and <see cref="DeploymentPort"/> are the names the files under <c>deploy/</c> use.
/// </summary>
public sealed class HealthSettings
{
    /// <summary>The liveness path: 200 while the process runs.</summary>
    public const string LivenessPath = "/healthz";

    /// <summary>The readiness path: 200 when the process serves, 503 (with the reason as text) when it does not.</summary>
    public const string ReadinessPath = "/readyz";

    /// <summary>The health port the container and Kubernetes files under <c>deploy/</c> set (<c>TLC_HEALTH__PORT</c>).</summary>
    public const int DeploymentPort = 8081;

    /// <summary>
    /// The TCP port serving <see cref="LivenessPath"/> and <see cref="ReadinessPath"/> (<c>TLC_HEALTH__PORT</c>,
    /// <c>--health-port</c>); 0 serves none. Default: 0 (off).
    /// </summary>
    [ConfigurationKeyName("port")]
    public int Port { get; set; }

    /// <summary>
    /// The address the health endpoints listen on (<c>TLC_HEALTH__HOST</c>). Default: <c>0.0.0.0</c> (every interface:
    /// kubelets probe the pod's address; the endpoints tell only whether the process is up and ready).
    /// </summary>
    [ConfigurationKeyName("host")]
    public string Host { get; set; } = "0.0.0.0";

    /// <summary>True when a port is set.</summary>
    public bool Enabled => Port > 0;
}
