using System.Globalization;

namespace Tlc.Cli;

/// <summary>Row lists on the command line: "3", "3-7", "1,4,9-12" (inclusive ranges).</summary>
internal static class RowSpec
{
    public static IReadOnlyList<long> Parse(string text)
    {
        var rows = new List<long>();
        foreach (var part in text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var dash = part.IndexOf('-', 1);
            if (dash > 0)
            {
                var start = Number(part[..dash], text);
                var end = Number(part[(dash + 1)..], text);
                if (end < start)
                {
                    throw new UsageException($"The row range '{part}' ends before it starts.");
                }
                for (var r = start; r <= end; r++)
                {
                    rows.Add(r);
                }
            }
            else
            {
                rows.Add(Number(part, text));
            }
        }
        return rows.Count > 0 ? rows : throw new UsageException($"No rows in '{text}'.");
    }

    private static long Number(string s, string whole) =>
        long.TryParse(s, NumberStyles.Integer, CultureInfo.InvariantCulture, out var n)
            ? n
            : throw new UsageException($"'{s}' in the row list '{whole}' is not a row number (use e.g. 3,5-9).");
}
