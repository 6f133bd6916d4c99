using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Tlc.Api;

/// <summary>
/// The dashboard's web page: <c>index.html</c> (at <c>/</c>), its ES modules (<c>app.js</c>, <c>jobs.js</c>) and
/// <c>app.css</c> — every file of <c>Dashboard/wwwroot</c>, embedded in this assembly and served under its name. The page
/// reads everything through <see cref="DashboardApi"/> and <see cref="JobsApi"/>; it renders table values as text, never
/// as HTML.
/// </summary>
internal static class DashboardAssets
{
    /// <summary>The cookie that carries the API token for a browser (set from the dashboard URL's <c>?token=</c>).</summary>
    public const string TokenCookie = "tlc_token";

    /// <summary>The prefix of the assets' resource names (the project file names them <c>dashboard/FILE</c>).</summary>
    private const string Prefix = "dashboard/";

    /// <summary>The path, resource and content type of every asset.</summary>
    internal static IReadOnlyList<(string Path, string Resource, string ContentType)> Files { get; } = [.. typeof(DashboardAssets).Assembly
        .GetManifestResourceNames()
        .Where(name => name.StartsWith(Prefix, StringComparison.Ordinal))
        .Order(StringComparer.Ordinal)
        .Select(name => (name == Prefix + "index.html" ? "/" : "/" + name[Prefix.Length..], name, ContentType(name)))];

    public static void Map(IEndpointRouteBuilder app)
    {
        foreach (var (path, resource, contentType) in Files)
        {
            var bytes = Read(resource);
            app.MapGet(path, (HttpContext http) =>
            {
                // Defence in depth: the page runs only its own script and talks only to this host.
                http.Response.Headers.ContentSecurityPolicy = "default-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; frame-ancestors 'none'";
                http.Response.Headers.XContentTypeOptions = "nosniff";
                return Results.Bytes(bytes, contentType);
            });
        }
    }

    /// <summary>An asset's content type, by its extension (a file of another kind fails the start, not a request).</summary>
    private static string ContentType(string resource) => Path.GetExtension(resource) switch
    {
        ".html" => "text/html; charset=utf-8",
        ".js" => "text/javascript; charset=utf-8",
        ".css" => "text/css; charset=utf-8",
        var other => throw new InvalidOperationException($"The dashboard asset {resource} has no known content type ({other})."),
    };

    private static byte[] Read(string resource)
    {
        using var stream = typeof(DashboardAssets).Assembly.GetManifestResourceStream(resource)
            ?? throw new InvalidOperationException($"The dashboard asset {resource} is missing from the build.");
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        return copy.ToArray();
    }
}
