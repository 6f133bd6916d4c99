using Tlc.Silo.Hosting;
using Tlc.Tables.Configuration;

// The silo process: `dotnet Tlc.Silo.dll [--root R] [--config F] [--health-port N]`; `tlc silo` runs the same.
var overrides = new List<KeyValuePair<string, string?>>();
string? configFile = null;
for (var i = 0; i + 1 < args.Length; i++)
{
    switch (args[i])
    {
        case "--root": overrides.Add(new("root", args[++i])); break;
        case "--config": configFile = args[++i]; break;
        case "--health-port": overrides.Add(new("health:port", args[++i])); break;
    }
}
var settings = TlcConfiguration.Load(overrides, configFile);
TlcSecrets.RedactConsole(settings);
using var cancel = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) =>
{
    e.Cancel = true;
    cancel.Cancel();
};
AppDomain.CurrentDomain.ProcessExit += (_, _) => cancel.Cancel();
return await SiloRunner.RunAsync(settings, Console.Out, cancel.Token);
