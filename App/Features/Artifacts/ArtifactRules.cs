using System.Text.RegularExpressions;
using Automations.Infrastructure;

namespace Automations.Features.Artifacts;

/// <summary>Names and limits for projects, collections, versions and aliases.</summary>
public static partial class ArtifactRules
{
    public const int MaxNameLength = 128;
    public const int MaxAliasLength = 64;
    public const int MaxDescriptionLength = 4000;
    public const int MaxIdempotencyKeyLength = 200;
    public const int MaxMetadataBytes = 256 * 1024;
    public const int MaxManifestEntries = 10_000;

    /// <summary>Every alias added raises an event that every alias automation of the project is matched against: bound it.</summary>
    public const int MaxAliasesPerVersion = 32;
    public const string LatestAlias = "latest";

    [GeneratedRegex(@"^[A-Za-z0-9_][A-Za-z0-9_.\-]*$")]
    private static partial Regex NamePattern();

    [GeneratedRegex(@"^[A-Za-z0-9_][A-Za-z0-9_.\-]*$")]
    private static partial Regex AliasPattern();

    [GeneratedRegex(@"^v\d+$")]
    private static partial Regex VersionIndexPattern();

    public static string Name(string? value, string field, string what)
    {
        value = (value ?? "").Trim();
        if (value.Length == 0)
        {
            throw new InputException(field, $"{what} name is required.");
        }
        if (value.Length > MaxNameLength || !NamePattern().IsMatch(value))
        {
            throw new InputException(field, $"{what} name must be 1-{MaxNameLength} letters, digits, '_', '-' or '.', not starting with '-' or '.'.");
        }

        return value;
    }

    public static string Alias(string? value, string field = "alias")
    {
        value = (value ?? "").Trim();
        if (value.Length == 0)
        {
            throw new InputException(field, "Alias is required.");
        }
        if (value.Length > MaxAliasLength || !AliasPattern().IsMatch(value))
        {
            throw new InputException(field, $"Alias '{TextRules.Shown(value)}' is invalid: use 1-{MaxAliasLength} letters, digits, '_', '-' or '.', no spaces.");
        }
        if (VersionIndexPattern().IsMatch(value))
        {
            throw new InputException(field, $"Alias '{value}' is reserved: v<N> names a version index.");
        }

        return value;
    }

    public static string Description(string? value, string field = "description")
    {
        value = TextRules.Require(value, field) ?? "";
        return value.Length <= MaxDescriptionLength
            ? value
            : throw new InputException(field, $"Description must be at most {MaxDescriptionLength} characters.");
    }

    /// <summary>"v3" → 3; anything else is an alias.</summary>
    public static int? ParseIndex(string reference) =>
        VersionIndexPattern().IsMatch(reference) && int.TryParse(reference.AsSpan(1), out var index) ? index : null;
}
