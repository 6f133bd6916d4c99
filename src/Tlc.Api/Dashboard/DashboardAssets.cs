using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Tlc.Api;

/// <summary>
/// The dashboard's web page: <c>index.html</c> at <c>/</c> and every other file of <c>Dashboard/wwwroot</c> (its script
/// modules and styles) at <c>/name</c>, embedded in this assembly. The page reads everything through <see cref="DashboardApi"/>; it renders table values as text, never as HTML.
/// </summary>
internal static class DashboardAssets
{
    /// <summary>The cookie that carries the API token for a browser (set from the dashboard URL's <c>?token=</c>).</summary>
    public const string TokenCookie = "tlc_token";

    private const string Prefix = "dashboard/";

    /// <summary>Every embedded file: its path, resource name and content type.</summary>
    private static IEnumerable<(string Path, string Resource, string ContentType)> Files =>
        typeof(DashboardAssets).Assembly.GetManifestResourceNames().Where(r => r.StartsWith(Prefix, StringComparison.Ordinal)).Select(resource =>
        {
            var name = resource[Prefix.Length..];
            return (name == "index.html" ? "/" : "/" + name, resource, Path.GetExtension(name) switch
            {
                ".html" => "text/html; charset=utf-8",
                ".js" => "text/javascript; charset=utf-8",
                ".css" => "text/css; charset=utf-8",
                var other => throw new InvalidOperationException($"The dashboard asset {name} has an extension ({other}) this host does not serve."),
            });
        });

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

    private static byte[] Read(string resource)
    {
        using var stream = typeof(DashboardAssets).Assembly.GetManifestResourceStream(resource)
            ?? throw new InvalidOperationException($"The dashboard asset {resource} is missing from the build.");
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        return copy.ToArray();
    }
}
