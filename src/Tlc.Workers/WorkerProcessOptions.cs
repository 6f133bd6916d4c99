namespace Tlc.Workers;

/// <summary>How a worker process (<c>tlc worker</c>, <c>dotnet Tlc.Workers.dll</c>) runs.</summary>
public sealed class WorkerProcessOptions
{
    /// <summary>The worker id (stable across restarts, shown in logs and the worker registry). Default: host name and process id.</summary>
    public string? WorkerId { get; init; }

    /// <summary>Folders whose assemblies are loaded as plugins (model and collector factories). Default: none.</summary>
    public IReadOnlyList<string> PluginFolders { get; init; } = [];

    /// <summary>Threads libtorch uses for one forward pass (<c>torch.set_num_threads</c>). Default: the processor count.</summary>
    public int? TorchThreads { get; init; }

    /// <summary>Threads decoding and preprocessing samples. Default: the processor count.</summary>
    public int? DecodeThreads { get; init; }

    /// <summary>
    /// The device to compute on: <c>cpu</c>, <c>cuda</c>, <c>cuda:N</c> or <c>auto</c> (CUDA when available, else the CPU).
    /// Models are built there whatever device their specs name. Default: <c>auto</c>.
    /// </summary>
    public string Device { get; init; } = "auto";

    /// <summary>Shards computed at once (see <see cref="WorkerOptions.MaxConcurrentShards"/>). Default: 2.</summary>
    public int ConcurrentShards { get; init; } = WorkerOptions.DefaultConcurrentShards;

    /// <summary>How long to wait before asking again when there is no work. Default: 1 s.</summary>
    public TimeSpan PollInterval { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>How long a stop request waits for the current shards to finish before dropping them. Default: 5 minutes.</summary>
    public TimeSpan DrainTimeout { get; init; } = TimeSpan.FromMinutes(5);
}
