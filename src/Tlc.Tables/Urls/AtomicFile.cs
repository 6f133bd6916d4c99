using System.Runtime.InteropServices;

namespace Tlc.Tables.Urls;

/// <summary>
/// Publishes a finished temporary file under its final name only if nothing is there yet, atomically: of many
/// concurrent publishers of one name exactly one succeeds, and readers see either no file or the whole file.
/// </summary>
/// <remarks>
/// <see cref="File.Move(string, string, bool)"/> without overwrite is not enough on Linux: measured with .NET 10, two of
/// six concurrent moves to one name can both succeed (the later silently replacing the earlier). On Unix this uses
/// <c>link(2)</c>, which fails with <c>EEXIST</c> when the name exists, then removes the temporary name; on Windows,
/// <c>MoveFileEx</c> without <c>MOVEFILE_REPLACE_EXISTING</c> (what <see cref="File.Move(string, string, bool)"/> calls)
/// is atomic already.
/// </remarks>
internal static partial class AtomicFile
{
    private const int EEXIST = 17; // Linux and macOS alike.

    /// <summary>Moves <paramref name="temp"/> to <paramref name="target"/> unless <paramref name="target"/> exists.</summary>
    /// <returns>False when <paramref name="target"/> already existed (<paramref name="temp"/> is left in place).</returns>
    public static bool TryPublishNew(string temp, string target)
    {
        if (OperatingSystem.IsWindows())
        {
            try
            {
                File.Move(temp, target, overwrite: false);
                return true;
            }
            catch (IOException) when (File.Exists(target))
            {
                return false;
            }
        }
        if (Link(temp, target) != 0)
        {
            var errno = Marshal.GetLastPInvokeError();
            if (errno == EEXIST)
            {
                return false;
            }
            throw new IOException($"Could not publish '{target}': link(2) failed with errno {errno} ({Marshal.GetPInvokeErrorMessage(errno)}); " +
                "Tlc needs a file system with hard links for atomic create-if-absent.");
        }
        File.Delete(temp);
        return true;
    }

    [LibraryImport("libc", EntryPoint = "link", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Link(string oldPath, string newPath);
}
