using System.Text;
using System.Text.Json;

namespace Automations.Infrastructure;

/// <summary>
/// What every stored string must be: valid Unicode (no lone surrogate, which cannot be written as UTF-8 or
/// JSON and made every later read of the row fail), and no control characters other than tab and line breaks
/// (PostgreSQL refuses NUL; the others only hide text). Checked where input enters, so nothing is half-written.
/// </summary>
public static class TextRules
{
    /// <summary>How much of a user's value an error message quotes.</summary>
    public const int MaxQuotedLength = 80;

    /// <summary>Null when <paramref name="value"/> may be stored, else why not.</summary>
    public static string? Problem(string? value, bool multiline = true)
    {
        if (value is null)
        {
            return null;
        }

        for (var i = 0; i < value.Length; i++)
        {
            var c = value[i];
            if (char.IsHighSurrogate(c) && i + 1 < value.Length && char.IsLowSurrogate(value[i + 1]))
            {
                i++;
                continue;
            }
            if (char.IsSurrogate(c))
            {
                return $"contains invalid Unicode text (a lone surrogate at character {i + 1}).";
            }
            if (char.IsControl(c) && !(multiline && c is '\t' or '\n' or '\r') && c is < '\u007f')
            {
                return $"contains a control character (U+{(int)c:X4}) at character {i + 1}.";
            }
        }

        return null;
    }

    /// <summary>Throws <see cref="InputException"/> naming <paramref name="field"/> when the value may not be stored.</summary>
    public static string? Require(string? value, string field, bool multiline = true) =>
        Problem(value, multiline) is { } problem ? throw new InputException(field, $"The {field} {problem}") : value;

    /// <summary>
    /// Every string and property name inside a JSON value must be storable (the raw text is kept, so an escaped
    /// lone surrogate such as <c>"\ud800"</c> would otherwise be stored and break every later read).
    /// </summary>
    public static void Require(JsonElement element, string field)
    {
        switch (element.ValueKind)
        {
            case JsonValueKind.Object:
                foreach (var property in element.EnumerateObject())
                {
                    var name = Read(() => property.Name, field);
                    RequireJsonString(name, $"{field}.{Shown(name, 40)}");
                    Require(property.Value, $"{field}.{Shown(name, 40)}");
                }
                break;
            case JsonValueKind.Array:
                var index = 0;
                foreach (var item in element.EnumerateArray())
                {
                    Require(item, $"{field}[{index++}]");
                }
                break;
            case JsonValueKind.String:
                RequireJsonString(Read(() => element.GetString()!, field), field);
                break;
        }
    }

    /// <summary>At most <paramref name="max"/> characters of the value, for a column of that length.</summary>
    [return: System.Diagnostics.CodeAnalysis.NotNullIfNotNull(nameof(value))]
    public static string? Cap(string? value, int max) => value is null || value.Length <= max ? value : value[..max];

    /// <summary>A user's value as an error message may quote it: cut, and with anything unwritable replaced.</summary>
    public static string Shown(string? value, int maxLength = MaxQuotedLength)
    {
        value ??= "";
        if (value.Length > maxLength)
        {
            value = value[..maxLength] + "…";
        }

        return Sanitize(value);
    }

    /// <summary>Replaces lone surrogates with U+FFFD, so the text can always be written as UTF-8 or JSON.</summary>
    public static string Sanitize(string value)
    {
        if (Problem(value) is null || !value.Any(char.IsSurrogate))
        {
            return value;
        }

        var builder = new StringBuilder(value.Length);
        for (var i = 0; i < value.Length; i++)
        {
            var c = value[i];
            if (char.IsHighSurrogate(c) && i + 1 < value.Length && char.IsLowSurrogate(value[i + 1]))
            {
                builder.Append(c).Append(value[++i]);
            }
            else
            {
                builder.Append(char.IsSurrogate(c) ? '\uFFFD' : c);
            }
        }

        return builder.ToString();
    }

    /// <summary>
    /// Runs JSON work on user input that decodes strings (System.Text.Json does so lazily and throws
    /// InvalidOperationException or ArgumentException for a lone surrogate): bad input naming the field, not a crash.
    /// </summary>
    public static T Decoded<T>(Func<T> work, string field)
    {
        try
        {
            return work();
        }
        catch (Exception ex) when (ex is InvalidOperationException or ArgumentException)
        {
            throw new InputException(field, $"The {field} contains invalid Unicode text (invalid UTF-8 or a lone surrogate).");
        }
    }

    private static void RequireJsonString(string value, string field)
    {
        if (Problem(value, multiline: true) is { } problem && value.Any(char.IsSurrogate))
        {
            throw new InputException(field, $"The {field} {problem}");
        }
    }

    // System.Text.Json refuses to decode invalid UTF-8 or an escaped lone surrogate with InvalidOperationException.
    private static string Read(Func<string> read, string field)
    {
        try
        {
            return read();
        }
        catch (InvalidOperationException)
        {
            throw new InputException(field, $"The {field} contains invalid Unicode text (invalid UTF-8 or a lone surrogate).");
        }
    }
}
