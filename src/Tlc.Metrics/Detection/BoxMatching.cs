using Tlc.DataTypes;

namespace Tlc.Metrics.Detection;

/// <summary>The outcome of matching one image's detections to its ground truth.</summary>
/// <param name="MatchedTruth">For each detection (in the order given), the index of the truth box it matched, or -1.</param>
/// <param name="MatchIoU">For each detection, the IoU with its matched truth box, or null.</param>
/// <param name="TruePositives">Detections that matched a truth box.</param>
/// <param name="FalsePositives">Detections that matched none.</param>
/// <param name="FalseNegatives">Truth boxes no detection matched (crowd boxes are not counted).</param>
public sealed record BoxMatchResult(int[] MatchedTruth, double?[] MatchIoU, int TruePositives, int FalsePositives, int FalseNegatives)
{
    /// <summary>The mean IoU of the matched pairs, or null when nothing matched.</summary>
    public double? MeanIoU => TruePositives == 0 ? null : MatchIoU.Where(v => v.HasValue).Average(v => v!.Value);
}

/// <summary>
/// Greedy, COCO-style matching of one image's detections to its ground truth: per class, detections in order of
/// decreasing score (ties: the earlier one first) each take the still-unmatched truth box of their class with the highest
/// IoU (ties: the earlier truth box), when that IoU is at least the threshold; each truth box is matched at most once.
/// Crowd truth boxes (<see cref="BoundingBox2D.IsCrowd"/>) are left out of matching and of the false negatives.
/// </summary>
public static class BoxMatching
{
    /// <summary>Matches <paramref name="detections"/> to <paramref name="truth"/> (both corner boxes in pixels).</summary>
    public static BoxMatchResult Match(IReadOnlyList<BoundingBox2D> detections, IReadOnlyList<BoundingBox2D> truth, double iouThreshold)
    {
        ArgumentNullException.ThrowIfNull(detections);
        ArgumentNullException.ThrowIfNull(truth);
        if (!(iouThreshold is > 0 and <= 1))
        {
            throw new ArgumentOutOfRangeException(nameof(iouThreshold), iouThreshold, "The IoU threshold must lie in (0, 1].");
        }
        var matchedTruth = new int[detections.Count];
        Array.Fill(matchedTruth, -1);
        var matchIoU = new double?[detections.Count];
        var taken = new bool[truth.Count];
        var order = Enumerable.Range(0, detections.Count)
            .OrderByDescending(i => detections[i].Confidence ?? 0f)
            .ThenBy(i => i)
            .ToArray();
        foreach (var d in order)
        {
            var best = -1;
            var bestIoU = 0.0;
            for (var t = 0; t < truth.Count; t++)
            {
                if (taken[t] || truth[t].IsCrowd == true || truth[t].Label != detections[d].Label)
                {
                    continue;
                }
                var iou = BoxGeometry.IoU(detections[d], truth[t]);
                if (iou >= iouThreshold && (best < 0 || iou > bestIoU))
                {
                    best = t;
                    bestIoU = iou;
                }
            }
            if (best >= 0)
            {
                taken[best] = true;
                matchedTruth[d] = best;
                matchIoU[d] = bestIoU;
            }
        }
        var tp = matchedTruth.Count(m => m >= 0);
        var countable = truth.Count(t => t.IsCrowd != true);
        return new BoxMatchResult(matchedTruth, matchIoU, tp, detections.Count - tp, countable - tp);
    }
}
