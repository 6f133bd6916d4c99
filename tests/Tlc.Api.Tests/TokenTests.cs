using System.Net;
using System.Net.Http.Headers;
using Tlc.Api.Hosting;

namespace Tlc.Api.Tests;

/// <summary>The HTTP host's token: required off loopback, and checked on every kind of endpoint.</summary>
public sealed class TokenTests(ApiFixture fixture) : IClassFixture<ApiFixture>
{
    [Fact(Timeout = 60_000)]
    public async Task StartAsync_NonLoopbackAddressWithoutToken_RefusesToStart()
    {
        var e = await Assert.ThrowsAsync<InvalidOperationException>(() =>
            TrainingApiHost.StartAsync(fixture.Context, new TrainingApiOptions { Host = "0.0.0.0", Port = 0 }, cancellationToken: TestContext.Current.CancellationToken));
        Assert.StartsWith("Refusing to serve 0.0.0.0 without a token: an address other than loopback needs one", e.Message, StringComparison.Ordinal);
        Assert.Throws<InvalidOperationException>(() => TrainingApiHost.CheckToken(new TrainingApiOptions { Host = "::", Token = "" }));
        TrainingApiHost.CheckToken(new TrainingApiOptions { Host = "::1" });
    }

    [Fact(Timeout = 60_000)]
    public async Task Requests_WithoutOrWithWrongToken_401OnApiDashboardFilesAndImages_RightTokenServes()
    {
        var ct = TestContext.Current.CancellationToken;
        using var images = await DashboardApiTests.ImagesAsync(fixture, 2, "token-images");
        await using var guarded = await TrainingApiHost.StartAsync(fixture.Context, new TrainingApiOptions { Host = "0.0.0.0", Port = 0, Token = "right-token-0123" }, cancellationToken: ct);
        var port = new Uri(guarded.Url).Port;
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}") };
        string[] paths = ["/v1/projects", "/v1/jobs", "/", "/app.js", $"/v1/image?table={Uri.EscapeDataString(images.Url.Value)}&row=1&column=image"];
        foreach (var path in paths)
        {
            foreach (var header in new[] { null, "Bearer wrong-token-0123", "Bearer right-token-012", "right-token-0123" })
            {
                using var request = new HttpRequestMessage(HttpMethod.Get, path);
                if (header is not null)
                {
                    request.Headers.TryAddWithoutValidation("Authorization", header);
                }
                using var refused = await http.SendAsync(request, ct);
                Assert.True(refused.StatusCode == HttpStatusCode.Unauthorized, $"{path} with '{header}': {(int)refused.StatusCode}");
                Assert.Contains("Authorization: Bearer <token>", await refused.Content.ReadAsStringAsync(ct), StringComparison.Ordinal);
            }
            using var right = new HttpRequestMessage(HttpMethod.Get, path);
            right.Headers.Authorization = new AuthenticationHeaderValue("Bearer", "right-token-0123");
            using var served = await http.SendAsync(right, ct);
            Assert.True(served.StatusCode == HttpStatusCode.OK, $"{path}: {(int)served.StatusCode}");
        }
        using var posted = await http.PostAsync("/v1/edits", new StringContent("{}", System.Text.Encoding.UTF8, "application/json"), ct);
        Assert.Equal(HttpStatusCode.Unauthorized, posted.StatusCode);
    }
}
