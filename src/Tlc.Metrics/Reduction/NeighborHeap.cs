namespace Tlc.Metrics.Reduction;

/// <summary>
/// Bounded max-heaps of neighbours kept in flat spans (one heap per point, k slots): slot 0 holds the farthest kept
/// neighbour, so a candidate is kept when it is nearer than that. Empty slots have index −1 and distance +∞. An index
/// is kept at most once.
/// </summary>
internal static class NeighborHeap
{
    /// <summary>Fills a heap with empty slots.</summary>
    public static void Clear(Span<float> distances, Span<int> indices)
    {
        distances.Fill(float.PositiveInfinity);
        indices.Fill(-1);
    }

    /// <summary>Keeps (<paramref name="distance"/>, <paramref name="index"/>) if nearer than the farthest kept and not kept yet.</summary>
    /// <returns>Whether the heap changed.</returns>
    public static bool Push(Span<float> distances, Span<int> indices, float distance, int index)
    {
        if (!(distance < distances[0]) || indices.Contains(index))
        {
            return false;
        }
        var i = SiftDown(distances, indices, distance);
        distances[i] = distance;
        indices[i] = index;
        return true;
    }

    /// <summary><see cref="Push(Span{float}, Span{int}, float, int)"/> with a flag per slot that moves with its neighbour.</summary>
    public static bool Push(Span<float> distances, Span<int> indices, Span<bool> flags, float distance, int index, bool flag)
    {
        if (!(distance < distances[0]) || indices.Contains(index))
        {
            return false;
        }
        // The same sift as SiftDown, moving the flags along.
        var n = distances.Length;
        var i = 0;
        while (true)
        {
            var left = (2 * i) + 1;
            if (left >= n)
            {
                break;
            }
            var right = left + 1;
            var child = right < n && distances[right] > distances[left] ? right : left;
            if (!(distances[child] > distance))
            {
                break;
            }
            distances[i] = distances[child];
            indices[i] = indices[child];
            flags[i] = flags[child];
            i = child;
        }
        distances[i] = distance;
        indices[i] = index;
        flags[i] = flag;
        return true;
    }

    /// <summary>Removes the root (the farthest) and sifts the last slot's hole down; the slot freed is returned for the new entry.</summary>
    private static int SiftDown(Span<float> distances, Span<int> indices, float distance)
    {
        var n = distances.Length;
        var i = 0;
        while (true)
        {
            var left = (2 * i) + 1;
            if (left >= n)
            {
                return i;
            }
            var right = left + 1;
            var child = right < n && distances[right] > distances[left] ? right : left;
            if (!(distances[child] > distance))
            {
                return i;
            }
            distances[i] = distances[child];
            indices[i] = indices[child];
            i = child;
        }
    }

    /// <summary>Orders a heap's slots by ascending distance, then index (empty slots last).</summary>
    public static void Sort(Span<float> distances, Span<int> indices)
    {
        for (var i = 1; i < distances.Length; i++)
        {
            var d = distances[i];
            var x = indices[i];
            var j = i - 1;
            while (j >= 0 && (distances[j] > d || (distances[j] == d && (uint)indices[j] > (uint)x)))
            {
                distances[j + 1] = distances[j];
                indices[j + 1] = indices[j];
                j--;
            }
            distances[j + 1] = d;
            indices[j + 1] = x;
        }
    }
}
