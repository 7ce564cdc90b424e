using System.Text.Json;

namespace Automations.Infrastructure;

public static class JsonErrors
{
    /// <summary>"Invalid JSON at line L, column C: what" (1-based), for messages shown next to a JSON editor.</summary>
    public static string Describe(JsonException ex)
    {
        // The reader's own text ends with its position again, 0-based ("LineNumber: 2 | BytePositionInLine: 3.") or as a
        // path: cut both, so the message gives one position, the 1-based one people count in an editor.
        var message = ex.Message;
        foreach (var marker in new[] { " Path:", " LineNumber:" })
        {
            var cut = message.IndexOf(marker, StringComparison.Ordinal);
            if (cut > 0)
            {
                message = message[..cut];
            }
        }

        return $"Invalid JSON at line {(ex.LineNumber ?? 0) + 1}, column {(ex.BytePositionInLine ?? 0) + 1}: {message}";
    }
}
