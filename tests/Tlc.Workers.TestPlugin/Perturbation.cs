using System.Text.Json;
using Tlc.Metrics;
using Tlc.Tables;
using Tlc.Tables.Samples;
using Tlc.Tables.Urls;
using static TorchSharp.torch;

namespace Tlc.Workers.TestPlugin;

/// <summary>
/// How strongly a perturbing model departs from the ground truth. Read from the model spec's weights file when it names one
/// (a JSON object with any of these names in snake case), defaults otherwise.
/// </summary>
public sealed record PerturbationSettings
{
    /// <summary>The chance that an object is missed.</summary>
    public double Drop { get; init; } = 0.12;

    /// <summary>The largest shift of an object, as a fraction of its own width and height.</summary>
    public double Shift { get; init; } = 0.25;

    /// <summary>The largest log-scale change of an object's width and height (scales lie in [e^-s, e^s]).</summary>
    public double Scale { get; init; } = 0.3;

    /// <summary>The chance that an object is given another class.</summary>
    public double Swap { get; init; } = 0.12;

    /// <summary>The chance that an object is detected twice (the second time with a smaller shift).</summary>
    public double Duplicate { get; init; } = 0.3;

    /// <summary>The most spurious objects per image (0 to this many, each of a class present in the image).</summary>
    public int Spurious { get; init; } = 3;

    private static readonly JsonSerializerOptions Json = new() { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower, UnmappedMemberHandling = System.Text.Json.Serialization.JsonUnmappedMemberHandling.Disallow };

    /// <summary>The settings of <paramref name="spec"/>: its weights file (JSON) when it names one, else the defaults.</summary>
    public static PerturbationSettings For(ModelSpec spec, ModelContext context)
    {
        ArgumentNullException.ThrowIfNull(spec);
        ArgumentNullException.ThrowIfNull(context);
        if (string.IsNullOrEmpty(spec.WeightsUrl))
        {
            return new PerturbationSettings();
        }
        using var stream = context.Adapters.OpenRead(new Url(spec.WeightsUrl));
        return JsonSerializer.Deserialize<PerturbationSettings>(stream, Json)
            ?? throw new InvalidDataException($"Weights file {spec.WeightsUrl} holds no settings.");
    }
}

/// <summary>
/// A deterministic generator (SplitMix64) seeded by the content of an image and the model's seed, so a sample's
/// predictions depend on its image and annotations only — not on which worker, shard or batch computes them.
/// </summary>
public sealed class ContentRandom
{
    private ulong _state;

    /// <summary>A generator seeded by an image's content (its file's bytes, or its pixels) and by <paramref name="seed"/>.</summary>
    public ContentRandom(ReadOnlySpan<byte> content, long seed)
    {
        // FNV-1a over the content.
        var hash = 14695981039346656037UL;
        foreach (var b in content)
        {
            hash = (hash ^ b) * 1099511628211UL;
        }
        _state = hash ^ ((ulong)seed * 0x9E3779B97F4A7C15UL);
    }

    /// <summary>The next 64 random bits.</summary>
    public ulong NextBits()
    {
        var z = _state += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    /// <summary>A uniform number in [0, 1).</summary>
    public double Next() => (NextBits() >> 11) * (1.0 / (1UL << 53));

    /// <summary>A uniform number in [-1, 1).</summary>
    public double Signed() => (2 * Next()) - 1;

    /// <summary>A uniform integer in [0, n).</summary>
    public int Below(int n) => (int)(Next() * n);

    /// <summary>A confidence on a grid of 0.05 (0.05 … 0.95), so that equal scores occur and the tie rule counts.</summary>
    public float Confidence() => (1 + Below(19)) / 20f;
}

/// <summary>Helpers the perturbing models share.</summary>
internal static class Samples
{
    /// <summary>
    /// The content of a sample's image (column <c>image</c>): the bytes of the file a URL names, the pixels of a decoded image,
    /// or stored bytes.
    /// </summary>
    public static byte[] ImageContent(TableRow sample, UrlAdapterRegistry adapters) => Value(sample, "image") switch
    {
        ImageSample image => image.Pixels,
        byte[] bytes => bytes,
        string url => Read(new Url(url), adapters),
        Url url => Read(url, adapters),
        var other => throw new InvalidOperationException($"Column 'image' holds a {other.GetType().Name}, not an image or its URL."),
    };

    private static byte[] Read(Url url, UrlAdapterRegistry adapters)
    {
        using var stream = adapters.OpenRead(url);
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        return copy.ToArray();
    }

    /// <summary>The value of <paramref name="column"/>.</summary>
    public static object Value(TableRow sample, string column) =>
        sample.TryGetValue(column, out var value) && value is not null
            ? value
            : throw new InvalidOperationException($"The sample has no value in column '{column}' ({string.Join(", ", sample.Keys)}).");
}

/// <summary>A predictor whose preprocessing computes the prediction: the model passes its input through.</summary>
internal sealed class PassThroughPredictor(Func<TableRow, Tensor> preprocess) : IPredictor
{
    public Device Device => CPU;

    public IReadOnlyList<int> Layers => [];

    public Tensor Preprocess(TableRow sample) => preprocess(sample);

    public PredictorOutput Predict(Tensor input) => new(input.clone());

    public void Dispose()
    {
    }
}
