using Tlc.Cluster;
using Tlc.Tables.Urls;

namespace Tlc;

/// <summary>What client-side objects (runs, writers, jobs) work with: the cluster client, the URL adapters, the root and this process's identity.</summary>
/// <param name="Client">The Orleans client.</param>
/// <param name="Adapters">The URL adapters.</param>
/// <param name="Root">The root URL of projects.</param>
/// <param name="Identity">This process's identity.</param>
/// <param name="Time">The clock.</param>
public sealed record ClusterContext(IClusterClient Client, UrlAdapterRegistry Adapters, Url Root, WorkerRef Identity, TimeProvider Time)
{
    /// <summary>
    /// Whether this process reaches the cluster (a client waiting for a job gives up after
    /// <see cref="ClusterReachability.ReconnectTimeout"/> without it). Default: none — a context made without a
    /// <see cref="ClusterConnection"/> waits as long as it takes.
    /// </summary>
    public ClusterReachability? Reachability { get; init; }

    /// <summary>The cluster's table catalog: pass it to <c>table.Edit(catalog)</c> and <c>table.LatestAsync(catalog)</c>.</summary>
    public ClusterTableCatalog Catalog => new(this);

    /// <summary>The grain of run <paramref name="project"/>/<paramref name="run"/>.</summary>
    public IRunGrain RunGrain(string project, string run) => Client.GetGrain<IRunGrain>(RunKey(project, run));

    /// <summary>The key of a run grain.</summary>
    public static string RunKey(string project, string run) => $"{Names.Validate(project, "project")}/{Names.Validate(run, "run")}";

    /// <summary>The folder of a run.</summary>
    public Url RunUrl(string project, string run) => Root.Join($"projects/{Names.Validate(project, "project")}/runs/{Names.Validate(run, "run")}");
}
