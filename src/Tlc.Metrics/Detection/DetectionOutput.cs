using Tlc.DataTypes;
using static TorchSharp.torch;

namespace Tlc.Metrics.Detection;

/// <summary>
/// The form of a detector's forward output that <see cref="BoundingBoxCollector"/> reads: a float tensor <c>[B, N, 6]</c>,
/// row <c>(x0, y0, x1, y1, score, class)</c> per detection (corners, in pixels of the image or normalised to [0, 1] as the
/// collector is told), padded with rows of score 0. <see cref="ToTensor"/> packs per-image box lists into it (for models
/// that produce lists, e.g. after their own non-maximum suppression); <see cref="FromTensor"/> reads it back.
/// </summary>
public static class DetectionOutput
{
    /// <summary>The numbers per detection row.</summary>
    public const int RowWidth = 6;

    /// <summary>
    /// Packs detections (corners x0, y0, x1, y1; <see cref="BoundingBox2D.Confidence"/> as the score, 1 when absent) into a
    /// <c>[B, N, 6]</c> float tensor, N the longest list (at least 1), padding with zero rows.
    /// </summary>
    public static Tensor ToTensor(IReadOnlyList<IReadOnlyList<BoundingBox2D>> detections)
    {
        ArgumentNullException.ThrowIfNull(detections);
        var n = Math.Max(1, detections.Count == 0 ? 0 : detections.Max(d => d.Count));
        var data = new float[detections.Count * n * RowWidth];
        for (var b = 0; b < detections.Count; b++)
        {
            for (var k = 0; k < detections[b].Count; k++)
            {
                var box = detections[b][k];
                var score = box.Confidence ?? 1f;
                if (!(score > 0))
                {
                    throw new ArgumentException($"Image {b}, detection {k}: the score {score} must be positive (rows of score 0 are padding).", nameof(detections));
                }
                var o = ((b * n) + k) * RowWidth;
                data[o] = box.X0;
                data[o + 1] = box.Y0;
                data[o + 2] = box.X1;
                data[o + 3] = box.Y1;
                data[o + 4] = score;
                data[o + 5] = box.Label;
            }
        }
        return tensor(data, [detections.Count, n, RowWidth]);
    }

    /// <summary>
    /// Reads a <c>[B, N, 6]</c> tensor into per-image detections (corners as stored, score as
    /// <see cref="BoundingBox2D.Confidence"/>), leaving out rows whose score is not above <paramref name="scoreThreshold"/>.
    /// </summary>
    /// <exception cref="ArgumentException">The tensor's shape is not <c>[B, N, 6]</c>, or a kept row is not finite or has a fractional class.</exception>
    public static IReadOnlyList<IReadOnlyList<BoundingBox2D>> FromTensor(Tensor forward, float scoreThreshold = 0)
    {
        ArgumentNullException.ThrowIfNull(forward);
        if (forward.dim() != 3 || forward.shape[2] != RowWidth)
        {
            throw new ArgumentException($"A detection output must be [B, N, {RowWidth}] (x0, y0, x1, y1, score, class); got [{string.Join(", ", forward.shape)}].", nameof(forward));
        }
        var batch = (int)forward.shape[0];
        var n = (int)forward.shape[1];
        float[] data;
        using (var values = forward.detach().to(ScalarType.Float32).cpu().contiguous())
        {
            data = values.data<float>().ToArray();
        }
        var result = new List<IReadOnlyList<BoundingBox2D>>(batch);
        for (var b = 0; b < batch; b++)
        {
            var boxes = new List<BoundingBox2D>();
            for (var k = 0; k < n; k++)
            {
                var o = ((b * n) + k) * RowWidth;
                var score = data[o + 4];
                if (!(score > scoreThreshold))
                {
                    continue;
                }
                for (var j = 0; j < RowWidth; j++)
                {
                    if (!float.IsFinite(data[o + j]))
                    {
                        throw new ArgumentException($"Image {b}, detection row {k}: value {j} is {data[o + j]}.", nameof(forward));
                    }
                }
                var label = data[o + 5];
                if (label != MathF.Floor(label) || label is < int.MinValue or > int.MaxValue)
                {
                    throw new ArgumentException($"Image {b}, detection row {k}: the class {label} is not an integer.", nameof(forward));
                }
                boxes.Add(new BoundingBox2D(data[o], data[o + 1], data[o + 2], data[o + 3], (int)label) { Confidence = score });
            }
            result.Add(boxes);
        }
        return result;
    }
}
