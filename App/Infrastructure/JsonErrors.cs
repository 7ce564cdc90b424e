using System.Text.Json;

namespace Automations.Infrastructure;

public static class JsonErrors
{
    /// <summary>"Invalid JSON at line L, column C: what" (1-based), for messages shown next to a JSON editor.</summary>
    public static string Describe(JsonException ex)
    {
        var message = ex.Message;
        var cut = message.IndexOf(" Path:", StringComparison.Ordinal);
        return $"Invalid JSON at line {(ex.LineNumber ?? 0) + 1}, column {(ex.BytePositionInLine ?? 0) + 1}: {(cut > 0 ? message[..cut] : message)}";
    }
}
