using System.Text.Encodings.Web;
using System.Text.Json;

namespace Automations.Features.Secrets;

/// <summary>
/// Takes secret values out of text before it is stored or shown: a request we sent, and whatever an endpoint
/// answered (request bins and many error pages echo what they received). Each value is replaced in the
/// forms an echo usually takes: raw, escaped inside JSON (relaxed and default encoders) and URL-encoded.
/// </summary>
public sealed class SecretRedactor
{
    public const string Redacted = "[redacted]";

    /// <summary>Values shorter than this are left: they would blank out ordinary text and reveal little.</summary>
    public const int MinLength = 4;

    /// <summary>No redactor: for attempts that used no secret.</summary>
    public static readonly SecretRedactor None = new([]);

    // Every form of every value, longest first, so a secret that contains another is replaced whole.
    private readonly string[] _forms;

    public SecretRedactor(IEnumerable<string?> secretValues)
    {
        _forms = secretValues.OfType<string>().Where(v => v.Length >= MinLength)
            .SelectMany(Forms)
            .Distinct(StringComparer.Ordinal)
            .OrderByDescending(f => f.Length)
            .ToArray();
    }

    /// <summary>The longest form, in characters: text cut at a boundary must keep this much beyond it to redact what crosses it.</summary>
    public int LongestForm => _forms.Length == 0 ? 0 : _forms[0].Length;

    public bool IsEmpty => _forms.Length == 0;

    public string Redact(string text)
    {
        foreach (var form in _forms)
        {
            text = text.Replace(form, Redacted, StringComparison.Ordinal);
        }

        return text;
    }

    public string? RedactOrNull(string? text) => text is null ? null : Redact(text);

    /// <summary>
    /// Redacts <paramref name="text"/> and cuts it to <paramref name="maxLength"/> characters. The caller reads
    /// <see cref="LongestForm"/> characters past the limit, so a value crossing the cut is whole and replaced;
    /// and a cut that ends inside the beginning of a value drops that beginning.
    /// </summary>
    public string RedactAndCut(string text, int maxLength)
    {
        text = Redact(text);
        if (text.Length <= maxLength)
        {
            return text;
        }

        text = text[..maxLength];
        foreach (var form in _forms)
        {
            for (var keep = Math.Min(form.Length - 1, text.Length); keep >= MinLength; keep--)
            {
                if (text[^1] == form[keep - 1] && text.EndsWith(form.AsSpan(0, keep), StringComparison.Ordinal))
                {
                    return text[..^keep] + Redacted;
                }
            }
        }

        return text;
    }

    public IReadOnlyList<KeyValuePair<string, string>> Redact(IReadOnlyList<KeyValuePair<string, string>> headers) =>
        IsEmpty ? headers : headers.Select(h => new KeyValuePair<string, string>(h.Key, Redact(h.Value))).ToList();

    private static IEnumerable<string> Forms(string value)
    {
        yield return value;
        yield return JsonEncodedText.Encode(value, JavaScriptEncoder.UnsafeRelaxedJsonEscaping).ToString();
        yield return JsonEncodedText.Encode(value).ToString();
        yield return Uri.EscapeDataString(value);
    }
}
