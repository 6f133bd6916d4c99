using System.Diagnostics;
using Tlc.Api.Hosting;
using Tlc.Metrics;
using Tlc.Tables;
using Tlc.Tables.Configuration;
using Tlc.Tables.Import;
using Tlc.Tables.Samples;

namespace Tlc.Bench;

/// <summary>
/// Dashboard thumbnails per second from a cold cache: distinct Fashion-MNIST images of the test table through
/// <c>GET /v1/image?size=64</c> with as many concurrent requests as a browser makes to one host (6), against reading and
/// decoding the same PNG files in this process with the same concurrency.
/// </summary>
internal static class ThumbnailBenchmark
{
    private const int Images = 3_000;
    private const int Concurrency = 6;

    public static async Task<BenchResult> RunAsync()
    {
        var root = Path.Combine(BenchContext.Scratch, "thumbnails");
        var settings = new TlcOptions { Root = root };
        using var test = await FashionMnist.ImportIdxAsync("/usr/share/datasets/fashion-mnist", "t10k", new ImportOptions
        {
            Project = "bench", Dataset = "fashion-mnist", Table = "test", Root = Url.FromLocalPath(root), Settings = settings, IfExists = IfExists.Reuse,
        });
        await using var connection = await ClusterConnection.ConnectAsync(settings);
        var table = Uri.EscapeDataString(test.Url.Value);

        async Task<double> OverHttpAsync(int first, int count = Images)
        {
            // A fresh host each round: its thumbnail cache starts empty.
            await using var api = await TrainingApiHost.StartAsync(connection.Context, new TrainingApiOptions { Port = 0 });
            using var http = new HttpClient { BaseAddress = new Uri(api.Url) };
            var next = first;
            var watch = Stopwatch.StartNew();
            await Task.WhenAll(Enumerable.Range(0, Concurrency).Select(async _ =>
            {
                int row;
                while ((row = Interlocked.Increment(ref next) - 1) < first + count)
                {
                    using var response = await http.GetAsync($"/v1/image?table={table}&row={row}&column=image&size=64");
                    var bytes = await response.Content.ReadAsByteArrayAsync();
                    if (!response.IsSuccessStatusCode || bytes.Length < 8)
                    {
                        throw new InvalidOperationException($"row {row}: {(int)response.StatusCode}");
                    }
                }
            }));
            return count / watch.Elapsed.TotalSeconds;
        }

        double Decode(int first, int count = Images)
        {
            var next = first;
            var watch = Stopwatch.StartNew();
            Parallel.For(0, Concurrency, _ =>
            {
                int row;
                while ((row = Interlocked.Increment(ref next) - 1) < first + count)
                {
                    if (test.SampleValue("image", row) is not ImageSample { Width: 28 })
                    {
                        throw new InvalidOperationException($"row {row}: no 28x28 image.");
                    }
                }
            });
            return count / watch.Elapsed.TotalSeconds;
        }

        // Warm-up (JIT, the host, the file reads) on rows the rounds do not use.
        await OverHttpAsync(9_000, 1_000);
        Decode(9_000, 1_000);
        var rates = new List<double>();
        var decodes = new List<double>();
        for (var round = 0; round < 3; round++)
        {
            rates.Add(await OverHttpAsync(round * Images));
            decodes.Add(Decode(round * Images));
        }
        var rate = rates.Order().ElementAt(1);
        var decode = decodes.Order().ElementAt(1);
        return new BenchResult("Dashboard thumbnails from a cold cache (Fashion-MNIST, HTTP)", $"{rate:N0} thumbnails/s", $"decoding the PNGs in process {decode:N0}/s",
            rate / decode, "≥ 1,000/s", rate >= 1_000,
            $"{Images:N0} distinct images per round, {Concurrency} concurrent requests, GET /v1/image?size=64 on a fresh host (empty cache) each round: read, decode, scale, encode PNG; median of 3 alternating rounds after a warm-up ({string.Join(", ", rates.Select(r => r.ToString("N0", System.Globalization.CultureInfo.InvariantCulture)))}/s)");
    }
}
