namespace Tlc.Testing;

/// <summary>The browser the dashboard's tests drive: Debian's Chromium, headless, with software WebGL for the scatter.</summary>
public static class DashboardBrowser
{
    /// <summary>
    /// How long an expectation waits for the page: 30 s instead of Playwright's 5 s. The page answers a filter in well under a
    /// second on a quiet machine, but the suite runs other test classes' silos and processes beside the browser on 2 cores.
    /// </summary>
    public const float ExpectTimeoutMs = 30_000;

    static DashboardBrowser() => Microsoft.Playwright.Assertions.SetDefaultExpectTimeout(ExpectTimeoutMs);

    /// <summary>The Chromium executable: <c>TLC_TEST_CHROMIUM</c>, else <c>/usr/bin/chromium</c>.</summary>
    public static string Chromium => Environment.GetEnvironmentVariable("TLC_TEST_CHROMIUM") is { Length: > 0 } path ? path
        : File.Exists("/usr/bin/chromium") ? "/usr/bin/chromium"
        : throw new InvalidOperationException("The dashboard's browser tests need Chromium: apt-get install chromium (tests/fixtures/prepare.sh does), or set TLC_TEST_CHROMIUM.");

    /// <summary>The arguments: no sandbox (tests run as root in CI) and WebGL on the CPU (no GPU there).</summary>
    public static string[] Args { get; } = ["--no-sandbox", "--enable-unsafe-swiftshader", "--use-angle=swiftshader"];
}
