using System.CommandLine;

namespace Tlc.Cli.Commands;

/// <summary><c>tlc import &lt;format&gt;</c>.</summary>
internal static class ImportCommand
{
    public static Command Create()
    {
        var command = new Command("import", "Import data into a table: csv, parquet, ndjson, coco, yolo, image-folder, hf.");
        return command;
    }
}
