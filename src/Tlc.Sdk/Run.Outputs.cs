using Tlc.Cluster;

namespace Tlc;

// A run's outputs: models, exports and other files it produced (3LC's run outputs).
public sealed partial class Run
{
    /// <summary>
    /// Records an output of the run (3LC's <c>add_output_value</c>): a model, an export or another file, kept in the run's
    /// state and in its <c>object.tlc.json</c> snapshot, and shown by <c>tlc run info</c>. A relative path is made absolute
    /// (from the current directory); the name defaults to the URL's last segment; the size, when not given, is measured
    /// for a local file that exists (left unknown otherwise); the time recorded is now.
    /// </summary>
    /// <param name="url">Where the output is (a URL or local path).</param>
    /// <param name="kind">What it is: <see cref="RunOutputKinds.Model"/>, <see cref="RunOutputKinds.Export"/>, <see cref="RunOutputKinds.File"/> or another word.</param>
    /// <param name="name">Its name within the run (default: the URL's last segment).</param>
    /// <param name="description">A description.</param>
    /// <param name="size">Its size in bytes (default: measured for local files).</param>
    /// <param name="replace">Replace an output of the same name (it keeps its place); when false such a name is refused.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The output as recorded.</returns>
    /// <exception cref="ArgumentException">An empty URL or name, a kind that is empty or not one word, or a negative size.</exception>
    /// <exception cref="InvalidOperationException">The run has an output of that name and <paramref name="replace"/> is false.</exception>
    public async Task<RunOutput> AddOutputAsync(string url, string kind = RunOutputKinds.File, string? name = null, string? description = null,
        long? size = null, bool replace = false, CancellationToken cancellationToken = default)
    {
        if (string.IsNullOrWhiteSpace(url))
        {
            throw new ArgumentException($"Run {Key}: an output needs a URL (got '{url}').", nameof(url));
        }
        var where = Url.IsAbsolute(url) ? new Url(url) : Url.FromLocalPath(url);
        var output = new RunOutput(name ?? where.Name, where.Value, kind, description, size ?? Measure(where), Context.Time.GetUtcNow());
        if (output.Problem() is { } problem)
        {
            throw new ArgumentException($"Run {Key}: {problem}.", name is null || string.IsNullOrWhiteSpace(name) ? nameof(url) : nameof(name));
        }
        await CallAsync(g => g.AddOutputAsync(output, replace), cancellationToken).ConfigureAwait(false);
        return output;
    }

    /// <summary>The outputs recorded so far, in the order first recorded.</summary>
    public async Task<IReadOnlyList<RunOutput>> GetOutputsAsync(CancellationToken cancellationToken = default) =>
        (await GetInfoAsync(cancellationToken).ConfigureAwait(false)).Outputs;

    /// <summary>The size of a local file that exists, else null.</summary>
    private static long? Measure(Url url)
    {
        if (!url.IsFile)
        {
            return null;
        }
        var file = new FileInfo(url.LocalPath);
        return file.Exists ? file.Length : null;
    }
}
