namespace Tlc.DataTypes;

/// <summary>COCO run-length encoding of binary masks (column-major, starting with a background run).</summary>
public static class Rle
{
    /// <summary>Encodes a dense row-major mask (non-zero = foreground) of <paramref name="width"/> × <paramref name="height"/>.</summary>
    public static int[] Encode(ReadOnlySpan<byte> mask, int width, int height)
    {
        if (mask.Length != (long)width * height)
        {
            throw new ArgumentException($"A {width}×{height} mask needs {(long)width * height} values, got {mask.Length}.", nameof(mask));
        }
        var counts = new List<int>();
        var current = false;
        var run = 0;
        for (var x = 0; x < width; x++)
        {
            for (var y = 0; y < height; y++)
            {
                var on = mask[(y * width) + x] != 0;
                if (on != current)
                {
                    counts.Add(run);
                    run = 0;
                    current = on;
                }
                run++;
            }
        }
        counts.Add(run);
        return [.. counts];
    }

    /// <summary>Decodes counts into a dense row-major mask (1 = foreground).</summary>
    public static byte[] Decode(IReadOnlyList<int> counts, int width, int height)
    {
        ArgumentNullException.ThrowIfNull(counts);
        var total = (long)width * height;
        var mask = new byte[total];
        long position = 0;
        for (var i = 0; i < counts.Count; i++)
        {
            if (counts[i] < 0 || position + counts[i] > total)
            {
                throw new FormatException($"RLE run {i} ({counts[i]}) runs past the {width}×{height} mask.");
            }
            if (i % 2 == 1)
            {
                for (long p = position; p < position + counts[i]; p++)
                {
                    var x = p / height;
                    var y = p % height;
                    mask[(y * width) + x] = 1;
                }
            }
            position += counts[i];
        }
        if (position != total)
        {
            throw new FormatException($"RLE covers {position} pixels; a {width}×{height} mask has {total}.");
        }
        return mask;
    }

    /// <summary>The number of foreground pixels.</summary>
    public static long Area(IReadOnlyList<int> counts)
    {
        ArgumentNullException.ThrowIfNull(counts);
        long area = 0;
        for (var i = 1; i < counts.Count; i += 2)
        {
            area += counts[i];
        }
        return area;
    }

    /// <summary>Decodes COCO's compressed RLE string (as in <c>{"counts": "...", "size": [h, w]}</c>) into counts.</summary>
    public static int[] FromCompressedString(string compressed)
    {
        ArgumentNullException.ThrowIfNull(compressed);
        var counts = new List<int>();
        var p = 0;
        while (p < compressed.Length)
        {
            long x = 0;
            var k = 0;
            var more = true;
            while (more)
            {
                if (p >= compressed.Length)
                {
                    throw new FormatException("Compressed RLE ends in the middle of a number.");
                }
                long c = compressed[p] - 48;
                if (c is < 0 or > 63)
                {
                    throw new FormatException($"Compressed RLE has the invalid character '{compressed[p]}' at {p}.");
                }
                x |= (c & 0x1f) << (5 * k);
                more = (c & 0x20) != 0;
                p++;
                k++;
                if (!more && (c & 0x10) != 0)
                {
                    x |= -1L << (5 * k);
                }
            }
            if (counts.Count > 2)
            {
                x += counts[^2];
            }
            if (x is < 0 or > int.MaxValue)
            {
                throw new FormatException($"Compressed RLE has an invalid run length {x}.");
            }
            counts.Add((int)x);
        }
        return [.. counts];
    }

    /// <summary>Encodes counts as COCO's compressed RLE string.</summary>
    public static string ToCompressedString(IReadOnlyList<int> counts)
    {
        ArgumentNullException.ThrowIfNull(counts);
        var s = new System.Text.StringBuilder();
        for (var i = 0; i < counts.Count; i++)
        {
            long x = counts[i];
            if (i > 2)
            {
                x -= counts[i - 2];
            }
            var more = true;
            while (more)
            {
                var c = x & 0x1f;
                x >>= 5;
                more = (c & 0x10) != 0 ? x != -1 : x != 0;
                if (more)
                {
                    c |= 0x20;
                }
                s.Append((char)(c + 48));
            }
        }
        return s.ToString();
    }
}
