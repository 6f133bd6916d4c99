using Tlc.Tables.Samples;
using Tlc.Tables.Urls;

namespace Tlc.Tables.Import;

/// <summary>
/// What the vision importers share about image files: which names count as images, listing them through the URL
/// adapters, and reading image headers (width and height) in parallel.
/// </summary>
public static class ImageFiles
{
    /// <summary>The file extensions taken as images (compared case-insensitively): png, jpg, jpeg, webp, bmp, gif.</summary>
    public static IReadOnlyList<string> Extensions { get; } = [".png", ".jpg", ".jpeg", ".webp", ".bmp", ".gif"];

    /// <summary>True when <paramref name="name"/> ends in one of <see cref="Extensions"/>.</summary>
    public static bool IsImage(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        var extension = Path.GetExtension(name);
        return Extensions.Any(e => string.Equals(e, extension, StringComparison.OrdinalIgnoreCase));
    }

    /// <summary>
    /// The images under <paramref name="folder"/> (recursively), ordered by their path relative to it (ordinal); hidden
    /// entries (names starting with '.') are left out.
    /// </summary>
    public static async Task<IReadOnlyList<Url>> ListAsync(UrlAdapterRegistry adapters, Url folder, CancellationToken cancellationToken) =>
        (await ListEntriesAsync(adapters, folder, cancellationToken).ConfigureAwait(false)).Select(e => e.Url).ToList();

    /// <summary>The images of <see cref="ListAsync"/>, in its order, with their sizes in bytes as the listing gives them.</summary>
    internal static async Task<IReadOnlyList<UrlEntry>> ListEntriesAsync(UrlAdapterRegistry adapters, Url folder, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(adapters);
        var images = new List<(string Relative, UrlEntry Entry)>();
        await foreach (var entry in adapters.ListAsync(folder, recursive: true, cancellationToken).ConfigureAwait(false))
        {
            if (entry.IsFolder || !IsImage(entry.Url.Name))
            {
                continue;
            }
            var relative = entry.Url.RelativeTo(folder) ?? entry.Url.Name;
            if (relative.Split('/').Any(segment => segment.StartsWith('.')))
            {
                continue;
            }
            images.Add((relative, entry));
        }
        images.Sort((a, b) => string.CompareOrdinal(a.Relative, b.Relative));
        return images.Select(i => i.Entry).ToList();
    }

    /// <summary>
    /// Reads the header of every image (in parallel) and returns the sizes in the order of <paramref name="images"/>.
    /// An image that is missing or cannot be decoded fails with an <see cref="ImportException"/> naming it; when several
    /// fail, the first in order is reported.
    /// </summary>
    /// <param name="adapters">The URL adapters to read through.</param>
    /// <param name="images">The image URLs.</param>
    /// <param name="fail">
    /// Makes the error for image i (its URL, the problem, the cause); null reports the image file itself as the file in error.
    /// </param>
    /// <param name="cancellationToken">Cancels the reads.</param>
    public static async Task<(int Width, int Height)[]> ReadSizesAsync(UrlAdapterRegistry adapters, IReadOnlyList<Url> images,
        Func<int, Url, string, Exception, ImportException>? fail, CancellationToken cancellationToken)
    {
        var (sizes, errors) = await ReadAsync(adapters, images, fail, stopAtFirst: true, cancellationToken).ConfigureAwait(false);
        return errors.FirstOrDefault(e => e is not null) is { } first ? throw first : sizes;
    }

    /// <summary>
    /// Reads the header of every image (in parallel), as <see cref="ReadSizesAsync"/> does, but reads them all and returns
    /// each image's error (null where it decoded) instead of throwing: the skip policy of import jobs leaves the bad ones out.
    /// </summary>
    internal static Task<((int Width, int Height)[] Sizes, ImportException?[] Errors)> ReadSizesOrErrorsAsync(UrlAdapterRegistry adapters,
        IReadOnlyList<Url> images, Func<int, Url, string, Exception, ImportException>? fail, CancellationToken cancellationToken) =>
        ReadAsync(adapters, images, fail, stopAtFirst: false, cancellationToken);

    private static async Task<((int Width, int Height)[] Sizes, ImportException?[] Errors)> ReadAsync(UrlAdapterRegistry adapters,
        IReadOnlyList<Url> images, Func<int, Url, string, Exception, ImportException>? fail, bool stopAtFirst, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(adapters);
        ArgumentNullException.ThrowIfNull(images);
        var sizes = new (int Width, int Height)[images.Count];
        var errors = new ImportException?[images.Count];
        var firstError = int.MaxValue;
        var parallel = new ParallelOptions
        {
            MaxDegreeOfParallelism = Math.Max(2, Environment.ProcessorCount),
            CancellationToken = cancellationToken,
        };
        await Parallel.ForEachAsync(Enumerable.Range(0, images.Count), parallel, async (i, ct) =>
        {
            if (stopAtFirst && Volatile.Read(ref firstError) < i)
            {
                return;
            }
            var url = images[i];
            try
            {
                var bytes = await adapters.ReadAllBytesAsync(url, ct).ConfigureAwait(false);
                sizes[i] = ImageSample.ReadSize(bytes, url.Value);
                return;
            }
            catch (UrlNotFoundException e)
            {
                errors[i] = Fail(i, url, MissingProblem, e);
            }
            catch (FormatException e)
            {
                errors[i] = Fail(i, url, UnreadableProblem, e);
            }
            int seen;
            do
            {
                seen = Volatile.Read(ref firstError);
            }
            while (i < seen && Interlocked.CompareExchange(ref firstError, i, seen) != seen);
        }).ConfigureAwait(false);
        return (sizes, errors);

        ImportException Fail(int i, Url url, string problem, Exception cause) =>
            fail?.Invoke(i, url, problem, cause) ?? new ImportException(url.Value, null, problem, cause);
    }

    /// <summary>The problem reported for an image file that does not exist.</summary>
    internal const string MissingProblem = "the image file is missing";

    /// <summary>The problem reported for an image whose header cannot be decoded.</summary>
    internal const string UnreadableProblem = "not a readable image (its header cannot be decoded)";

    /// <summary>
    /// Checks one image as <see cref="ReadSizesAsync"/> does (its header must decode), for an image held as encoded
    /// <paramref name="bytes"/>: null when it is readable, else the problem.
    /// </summary>
    internal static string? Check(ReadOnlySpan<byte> bytes)
    {
        try
        {
            ImageSample.ReadSize(bytes);
            return null;
        }
        catch (FormatException)
        {
            return UnreadableProblem;
        }
    }

    /// <summary>
    /// Checks the image file at <paramref name="url"/> as <see cref="ReadSizesAsync"/> does (it must exist and its header
    /// must decode): null when it is readable, else the problem followed by the URL.
    /// </summary>
    internal static async Task<string?> CheckAsync(UrlAdapterRegistry adapters, Url url, CancellationToken cancellationToken)
    {
        byte[] bytes;
        try
        {
            bytes = await adapters.ReadAllBytesAsync(url, cancellationToken).ConfigureAwait(false);
        }
        catch (UrlNotFoundException)
        {
            return $"{MissingProblem}: {url}";
        }
        return Check(bytes) is { } problem ? $"{problem}: {url}" : null;
    }

    /// <summary>
    /// Under the skip policy of an import job: leaves the image row at <paramref name="index"/> (its position in the
    /// source's row order) out and lists it in the quarantine with <paramref name="error"/> (the error the fail policy
    /// gives for it), the line of <see cref="ImportException.File"/> where known and the field it concerns.
    /// </summary>
    internal delegate void ImageQuarantine(int index, ImportException error, long? line, string? column);
}
