namespace Tlc.Silo.Hosting;

/// <summary>
/// The liveness and readiness endpoints of a server process (<see cref="Tlc.Tables.Configuration.HealthSettings"/>), served
/// until disposed.
/// </summary>
public interface IHealthEndpoint : IAsyncDisposable
{
    /// <summary>The address served, e.g. <c>http://0.0.0.0:8081</c> (the paths are <c>HealthSettings.LivenessPath</c> and <c>ReadinessPath</c>).</summary>
    Uri Address { get; }
}

/// <summary>Whether a process serves: null when it is ready, else why not (the readiness endpoint's 503 text).</summary>
/// <param name="cancellationToken">Cancelled when the probe's request ends.</param>
public delegate ValueTask<string?> ReadinessCheck(CancellationToken cancellationToken);
