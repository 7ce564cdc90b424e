using System.Text.RegularExpressions;

namespace Automations.Features.Secrets;

/// <summary>
/// How secrets are named and referenced, in one place: a name is a letter or underscore followed by letters, digits and
/// underscores (an environment variable's shape), and <c>${NAME}</c> in a payload or a job's environment refers to one.
/// </summary>
public static partial class SecretReferences
{
    [GeneratedRegex("^[A-Za-z_][A-Za-z0-9_]*$")]
    private static partial Regex NamePattern();

    [GeneratedRegex(@"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")]
    private static partial Regex ReferencePattern();

    /// <summary>Whether the text has a secret's shape (also the shape of an environment variable's name).</summary>
    public static bool IsValidName(string name) => NamePattern().IsMatch(name);

    /// <summary>Whether the text refers to any secret.</summary>
    public static bool HasReferences(string text) => ReferencePattern().IsMatch(text);

    /// <summary>The names the text refers to, in order, repeats included.</summary>
    public static IEnumerable<string> Names(string text) => ReferencePattern().Matches(text).Select(m => m.Groups[1].Value);

    /// <summary>The text with each reference replaced by <paramref name="value"/> of its name.</summary>
    public static string Resolve(string text, Func<string, string> value) => ReferencePattern().Replace(text, m => value(m.Groups[1].Value));
}
