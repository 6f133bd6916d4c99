namespace Tlc.Metrics.Segmentation;

/// <summary>
/// A per-pixel class-id image (row-major): the ground truth or prediction a segmentation metric compares.
/// <see cref="Ignore"/> marks pixels left out of every metric (e.g. VOC's 255 boundary pixels, or pixels no instance covers
/// when there is no background class).
/// </summary>
public sealed class ClassMask
{
    /// <summary>The value of pixels that count for no class.</summary>
    public const int Ignore = -1;

    /// <summary>Creates a mask over <paramref name="labels"/> (not copied).</summary>
    public ClassMask(int width, int height, int[] labels)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(width);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(height);
        ArgumentNullException.ThrowIfNull(labels);
        if (labels.Length != (long)width * height)
        {
            throw new ArgumentException($"A {width}×{height} class mask needs {(long)width * height} labels, got {labels.Length}.", nameof(labels));
        }
        Width = width;
        Height = height;
        Labels = labels;
    }

    /// <summary>A mask of one value.</summary>
    public static ClassMask Filled(int width, int height, int value)
    {
        var labels = new int[checked(width * height)];
        Array.Fill(labels, value);
        return new ClassMask(width, height, labels);
    }

    /// <summary>The width in pixels.</summary>
    public int Width { get; }

    /// <summary>The height in pixels.</summary>
    public int Height { get; }

    /// <summary>The class id of each pixel, row-major; <see cref="Ignore"/> for ignored pixels.</summary>
    public int[] Labels { get; }

    /// <summary>The class id at (x, y).</summary>
    public int this[int x, int y] => Labels[(y * Width) + x];

    /// <summary>Sets every pixel where <paramref name="binary"/> is non-zero to <paramref name="label"/>.</summary>
    public void Paint(ReadOnlySpan<byte> binary, int label)
    {
        if (binary.Length != Labels.Length)
        {
            throw new ArgumentException($"A {Width}×{Height} mask cannot be painted with {binary.Length} values.", nameof(binary));
        }
        for (var i = 0; i < binary.Length; i++)
        {
            if (binary[i] != 0)
            {
                Labels[i] = label;
            }
        }
    }

    /// <summary>The number of pixels of class <paramref name="label"/>.</summary>
    public long Count(int label) => Labels.AsSpan().Count(label);

    /// <summary>The distinct labels present, ascending (<see cref="Ignore"/> excluded).</summary>
    public IReadOnlyList<int> Present() => Labels.Where(l => l != Ignore).Distinct().Order().ToArray();

    /// <summary>A binary mask (1 where the class is <paramref name="label"/>), row-major.</summary>
    public byte[] Binary(int label)
    {
        var mask = new byte[Labels.Length];
        for (var i = 0; i < mask.Length; i++)
        {
            mask[i] = Labels[i] == label ? (byte)1 : (byte)0;
        }
        return mask;
    }
}
