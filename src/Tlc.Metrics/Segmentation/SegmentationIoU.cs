namespace Tlc.Metrics.Segmentation;

/// <summary>
/// Per-class intersection over union of a predicted and a true class mask of the same size. Pixels whose truth is
/// <see cref="ClassMask.Ignore"/> count for nothing. For class c: IoU = |truth = c ∧ prediction = c| / |truth = c ∨ prediction = c|,
/// undefined (null) when the class occurs in neither.
/// </summary>
public static class SegmentationIoU
{
    /// <summary>The IoU of each class in <paramref name="classes"/>; null where the class occurs in neither mask.</summary>
    public static IReadOnlyDictionary<int, float?> PerClass(ClassMask truth, ClassMask prediction, IReadOnlyList<int> classes)
    {
        ArgumentNullException.ThrowIfNull(truth);
        ArgumentNullException.ThrowIfNull(prediction);
        ArgumentNullException.ThrowIfNull(classes);
        if (truth.Width != prediction.Width || truth.Height != prediction.Height)
        {
            throw new ArgumentException($"The prediction is {prediction.Width}×{prediction.Height}, the truth {truth.Width}×{truth.Height}.", nameof(prediction));
        }
        var size = classes.Count == 0 ? 0 : classes.Max() + 1;
        var inter = new long[size];
        var inTruth = new long[size];
        var inPrediction = new long[size];
        var t = truth.Labels;
        var p = prediction.Labels;
        for (var i = 0; i < t.Length; i++)
        {
            var tc = t[i];
            if (tc == ClassMask.Ignore)
            {
                continue;
            }
            var pc = p[i];
            if ((uint)tc < (uint)size)
            {
                inTruth[tc]++;
            }
            if ((uint)pc < (uint)size)
            {
                inPrediction[pc]++;
                if (pc == tc)
                {
                    inter[pc]++;
                }
            }
        }
        var result = new Dictionary<int, float?>(classes.Count);
        foreach (var c in classes)
        {
            var union = inTruth[c] + inPrediction[c] - inter[c];
            result[c] = union == 0 ? null : (float)((double)inter[c] / union);
        }
        return result;
    }

    /// <summary>The mean of the defined values, or null when none is.</summary>
    public static float? Mean(IEnumerable<float?> values)
    {
        ArgumentNullException.ThrowIfNull(values);
        double sum = 0;
        var n = 0;
        foreach (var v in values)
        {
            if (v is { } x)
            {
                sum += x;
                n++;
            }
        }
        return n == 0 ? null : (float)(sum / n);
    }
}
