using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Orleans.Dashboard;
using Tlc.Tables.Configuration;

namespace Tlc.Silo.Hosting;

/// <summary>
/// Builds a silo's host: a generic host, or — with <c>observability.dashboard</c> — an ASP.NET Core host whose Kestrel
/// listener (<c>observability.dashboard_host</c>:<c>dashboard_port</c>) serves the Orleans dashboard at its root.
/// </summary>
internal static class SiloHosts
{
    public static IHost Build(TlcOptions settings, SiloEndpoints endpoints, Action<ILoggingBuilder>? logging, string? contentRoot)
    {
        void Logging(ILoggingBuilder builder)
        {
            builder.ClearProviders();
            logging?.Invoke(builder);
        }
        var observability = settings.Observability;
        if (!observability.Dashboard)
        {
            var builder = Microsoft.Extensions.Hosting.Host.CreateDefaultBuilder();
            if (contentRoot is not null)
            {
                builder.UseContentRoot(contentRoot);
            }
            return builder.ConfigureLogging(Logging).UseOrleans(silo => silo.UseTlc(settings, endpoints)).Build();
        }
        var web = WebApplication.CreateSlimBuilder(new WebApplicationOptions { ContentRootPath = contentRoot ?? AppContext.BaseDirectory, Args = [] });
        Logging(web.Logging);
        web.WebHost.UseKestrel(kestrel => kestrel.Listen(IPAddress.Parse(observability.DashboardHost), observability.DashboardPort));
        web.UseOrleans(silo => silo.UseTlc(settings, endpoints).AddDashboard());
        var app = web.Build();
        app.MapOrleansDashboard();
        return app;
    }

    /// <summary>The dashboard's address, or null when it is off.</summary>
    public static string? DashboardUrl(TlcOptions settings) =>
        settings.Observability.Dashboard ? $"http://{settings.Observability.DashboardHost}:{settings.Observability.DashboardPort}/" : null;
}
