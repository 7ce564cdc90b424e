using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace Automations.Features.Automations;

public sealed record TemplateVariable(string Name, string Description);

/// <summary>The values a template is rendered with: the event's variables, and team secrets by name.</summary>
public sealed record TemplateValues(IReadOnlyDictionary<string, string> Variables, JsonObject Metadata, IReadOnlyDictionary<string, string> Secrets);

public sealed class TemplateException(string message) : Exception(message);

/// <summary>
/// Payload templates are JSON documents whose string values may contain <c>${variable}</c>. Rendering is
/// structural: the template is parsed, variables are replaced inside string values only, and the tree is
/// serialised again, so no value can break the JSON or add fields.
/// </summary>
public static partial class PayloadTemplate
{
    public const string MetadataPrefix = "artifact_metadata.";

    public static readonly IReadOnlyList<TemplateVariable> Variables =
    [
        new("event_type", "LINK_ARTIFACT or ADD_ARTIFACT_ALIAS"),
        new("event_author", "the user who made the change"),
        new("artifact_version", "the exact version: wandb-artifact://_id/<opaque id>"),
        new("artifact_version_string", "<entity>/<project>/<artifact>:<alias or version>"),
        new("artifact_collection_name", "the collection's name"),
        new("project_name", "the project's name"),
        new("entity_name", "the team that owns the project"),
        new("alias", "the alias added (ADD_ARTIFACT_ALIAS), empty otherwise"),
    ];

    private static readonly HashSet<string> BuiltIns = Variables.Select(v => v.Name).ToHashSet(StringComparer.Ordinal);

    private static readonly JsonSerializerOptions Output = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    [GeneratedRegex(@"\$\{([^}]*)\}")]
    private static partial Regex VariablePattern();

    /// <summary>Problems that prevent saving: invalid JSON (line, column), unknown variables, missing secrets. Empty when valid.</summary>
    /// <param name="secretsRefused">
    /// Null where payloads may reference team secrets; otherwise why they may not, said after the refused name
    /// (launch overrides are shown on the run, a Slack message is read by the channel).
    /// </param>
    public static IReadOnlyList<string> Validate(string? template, IReadOnlyCollection<string> secretNames, string? secretsRefused = null)
    {
        List<string> names;
        try
        {
            names = Decoded(() => StringValues(Parse(template)).SelectMany(s => VariablePattern().Matches(s).Select(m => m.Groups[1].Value)).Distinct().ToList());
        }
        catch (TemplateException ex)
        {
            return [ex.Message];
        }

        var errors = new List<string>();
        foreach (var name in names)
        {
            if (IsTemplateVariable(name))
            {
                continue;
            }

            if (!Secrets.SecretReferences.IsValidName(name))
            {
                errors.Add($"Unknown variable ${{{name}}}.");
            }
            else if (secretsRefused is not null)
            {
                errors.Add($"${{{name}}} is not a template variable. {secretsRefused}");
            }
            else if (!secretNames.Contains(name))
            {
                errors.Add($"${{{name}}} is neither a template variable nor a secret of this team.");
            }
        }

        return errors;
    }

    /// <summary>
    /// A cheap scan without parsing: false when no <c>${…}</c> in the text can be a secret, so a delivery
    /// need not decrypt the team's secrets.
    /// </summary>
    public static bool MayReferenceSecrets(string template) =>
        VariablePattern().Matches(template).Any(m => !IsTemplateVariable(m.Groups[1].Value));

    /// <summary>A built-in variable or <c>artifact_metadata.KEY</c>; any other name can only be a team secret.</summary>
    private static bool IsTemplateVariable(string name) =>
        BuiltIns.Contains(name) || name.StartsWith(MetadataPrefix, StringComparison.Ordinal) && name.Length > MetadataPrefix.Length;

    /// <summary>Renders to compact JSON. Throws <see cref="TemplateException"/> for invalid JSON or a variable with no value.</summary>
    public static string Render(string template, TemplateValues values) => Decoded(() =>
    {
        var root = Parse(template);
        root = Substitute(root, values);
        return root is null ? "null" : root.ToJsonString(Output);
    });

    /// <summary>
    /// System.Text.Json decodes strings lazily and throws InvalidOperationException (or ArgumentException when
    /// writing) for a lone surrogate: that is bad input like any other, never a crash of the caller.
    /// </summary>
    private static T Decoded<T>(Func<T> work)
    {
        try
        {
            return work();
        }
        catch (Exception ex) when (ex is InvalidOperationException or ArgumentException && ex is not TemplateException)
        {
            throw new TemplateException("The payload contains invalid Unicode text (a lone surrogate such as \\ud800): remove it.");
        }
    }

    private static JsonNode? Parse(string? template)
    {
        if (string.IsNullOrWhiteSpace(template))
        {
            throw new TemplateException("The payload is empty; enter a JSON document.");
        }

        try
        {
            return JsonNode.Parse(template, documentOptions: new JsonDocumentOptions { MaxDepth = 64 });
        }
        catch (JsonException ex)
        {
            throw new TemplateException(Infrastructure.JsonErrors.Describe(ex));
        }
    }

    private static IEnumerable<string> StringValues(JsonNode? node)
    {
        switch (node)
        {
            case JsonObject obj:
                foreach (var (_, child) in obj)
                {
                    foreach (var s in StringValues(child))
                    {
                        yield return s;
                    }
                }
                break;
            case JsonArray array:
                foreach (var child in array)
                {
                    foreach (var s in StringValues(child))
                    {
                        yield return s;
                    }
                }
                break;
            case JsonValue value when value.TryGetValue<string>(out var text):
                yield return text;
                break;
        }
    }

    private static JsonNode? Substitute(JsonNode? node, TemplateValues values)
    {
        switch (node)
        {
            case JsonObject obj:
                foreach (var key in obj.Select(p => p.Key).ToList())
                {
                    var child = obj[key];
                    var replaced = Substitute(child, values);
                    if (!ReferenceEquals(child, replaced))
                    {
                        obj[key] = replaced;
                    }
                }
                return obj;
            case JsonArray array:
                for (var i = 0; i < array.Count; i++)
                {
                    var child = array[i];
                    var replaced = Substitute(child, values);
                    if (!ReferenceEquals(child, replaced))
                    {
                        array[i] = replaced;
                    }
                }
                return array;
            case JsonValue value when value.TryGetValue<string>(out var text):
                var matches = VariablePattern().Matches(text);
                if (matches.Count == 0)
                {
                    return value;
                }

                // A string that is exactly one metadata variable keeps the value's JSON type (numbers stay numbers).
                if (matches.Count == 1 && matches[0].Length == text.Length && matches[0].Groups[1].Value.StartsWith(MetadataPrefix, StringComparison.Ordinal))
                {
                    var metadata = Metadata(matches[0].Groups[1].Value, values);
                    return metadata?.DeepClone();
                }

                // One pass over the original text: a value that itself contains ${...} is never expanded again.
                return JsonValue.Create(VariablePattern().Replace(text, m => Text(m.Groups[1].Value, values)));
            default:
                return node;
        }
    }

    private static string Text(string name, TemplateValues values)
    {
        if (values.Variables.TryGetValue(name, out var builtIn))
        {
            return builtIn;
        }
        if (name.StartsWith(MetadataPrefix, StringComparison.Ordinal))
        {
            return Metadata(name, values) switch
            {
                null => "",
                JsonValue v when v.TryGetValue<string>(out var s) => s,
                var other => other.ToJsonString(Output),
            };
        }
        if (values.Secrets.TryGetValue(name, out var secret))
        {
            return secret;
        }

        throw new TemplateException($"${{{name}}} has no value: the secret may have been deleted.");
    }

    private static JsonNode? Metadata(string name, TemplateValues values) =>
        values.Metadata.TryGetPropertyValue(name[MetadataPrefix.Length..], out var node) ? node : null;
}
