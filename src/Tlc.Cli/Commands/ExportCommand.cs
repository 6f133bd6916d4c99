using System.CommandLine;

namespace Tlc.Cli.Commands;

/// <summary><c>tlc export</c>.</summary>
internal static class ExportCommand
{
    public static Command Create()
    {
        var command = new Command("export", "Export a table: csv, parquet, json, coco, yolo.");
        return command;
    }
}
