using System.Net;
using OpenTelemetry.Metrics;
using Tlc.Diagnostics;
using Tlc.Silo.Hosting;
using Tlc.Tables.Configuration;
using Tlc.Testing;

namespace Tlc.Silo.Tests;

/// <summary>Metrics export (<see cref="TlcTelemetry"/>), the observability settings and the embedded silo's dashboard.</summary>
public sealed class ObservabilityTests : IDisposable
{
    private readonly TempRoot _root = new("observability");

    public void Dispose() => _root.Dispose();

    [Fact]
    public void StartMetricsExport_NothingConfigured_ReturnsNull()
    {
        Assert.Null(TlcTelemetry.StartMetricsExport(new ObservabilitySettings(), "tlc-test"));
    }

    [Fact]
    public void StartMetricsExport_ExportsTheTlcMeter_WithKindTags()
    {
        var exported = new List<MetricSnapshot>();
        using (var provider = TlcTelemetry.StartMetricsExport(new ObservabilitySettings(), "tlc-test", b => b.AddInMemoryExporter(exported)))
        {
            Assert.NotNull(provider);
            TlcMetrics.ItemDone(TlcMetrics.Imports, 1234, TimeSpan.FromSeconds(2));
            TlcMetrics.ItemCommitted(TlcMetrics.Imports);
            Assert.True(provider.ForceFlush(10_000));
        }

        var rows = exported.Last(m => m.Name == "tlc.job.rows");
        Assert.Equal("{row}", rows.Unit);
        Assert.Equal(TlcMetrics.MeterName, rows.MeterName);
        var point = Assert.Single(rows.MetricPoints, p => Tag(p, TlcMetrics.KindTag) == TlcMetrics.Imports);
        Assert.True(point.GetSumLong() >= 1234);
        Assert.Contains(exported, m => m.Name == "tlc.job.items.committed" && m.Unit == "{item}");
        Assert.Contains(exported, m => m.Name == "tlc.worker.item.duration" && m.Unit == "s" && m.MetricType == MetricType.Histogram);
    }

    private static string? Tag(MetricPoint point, string key)
    {
        foreach (var tag in point.Tags)
        {
            if (tag.Key == key)
            {
                return tag.Value as string;
            }
        }
        return null;
    }

    [Theory]
    [InlineData("observability:otlp_endpoint", "localhost:4317", "observability.otlp_endpoint")]
    [InlineData("observability:dashboard_port", "0", "observability.dashboard_port")]
    [InlineData("observability:dashboard_host", "anywhere", "observability.dashboard_host")]
    [InlineData("observability:export_interval_seconds", "0", "observability.export_interval_seconds")]
    public void Settings_BadValue_IsAnErrorNamingTheSetting(string key, string value, string named)
    {
        var e = Assert.Throws<FormatException>(() => TlcConfiguration.Load(new Dictionary<string, string?> { [key] = value }));
        Assert.Contains(named, e.Message);
    }

    [Fact]
    public void Settings_Defaults_EverythingOff_Port8080()
    {
        var settings = TlcConfiguration.Load(new Dictionary<string, string?>());
        Assert.False(settings.Observability.ExportsMetrics);
        Assert.False(settings.Observability.Dashboard);
        Assert.Equal(8080, settings.Observability.DashboardPort);
        Assert.Equal("127.0.0.1", settings.Observability.DashboardHost);
    }

    [Fact(Timeout = 120_000)]
    public async Task EmbeddedSilo_DashboardSetting_ServesTheDashboardPage()
    {
        var ct = TestContext.Current.CancellationToken;
        var settings = new TlcOptions { Root = _root.Path };
        settings.Observability.Dashboard = true;
        settings.Observability.DashboardPort = EmbeddedSilo.FreePort();
        await using var silo = await EmbeddedSilo.TryStartAsync(settings, cancellationToken: ct);
        Assert.NotNull(silo);

        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(20) };
        using var response = await http.GetAsync(new Uri($"http://127.0.0.1:{settings.Observability.DashboardPort}/"), ct);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains("<title>Orleans Dashboard</title>", await response.Content.ReadAsStringAsync(ct));
    }
}
