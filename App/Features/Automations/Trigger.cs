using Automations.Features.Artifacts;

namespace Automations.Features.Automations;

/// <summary>
/// When an automation runs, as one value: the event type, the scope, the collection (required for new versions in a
/// project, optional for aliases, none team-wide), and for aliases a pattern the whole alias must match. Matching,
/// the preview, saving and the wizard all ask it, so the rule lives in one place.
/// </summary>
/// <param name="TeamWide">Watches every project of the team: a new version in any collection, an alias in any collection.</param>
public sealed record Trigger(string EventType, int? CollectionId, string? AliasPattern, bool TeamWide = false)
{
    public static Trigger Of(Automation automation) => new(automation.EventType, automation.CollectionId, automation.AliasPattern, automation.IsTeamScoped);

    /// <summary>Whether the event triggers an automation with this trigger.</summary>
    public bool Matches(ArtifactEvent e) => Matches(e.Type, e.CollectionId, e.Alias);

    public bool Matches(string eventType, int eventCollectionId, string? alias)
    {
        if (EventType != eventType || CollectionId is not null && CollectionId != eventCollectionId)
        {
            return false;
        }

        // A new-version trigger whose collection was deleted matches nothing.
        return eventType == ArtifactEventTypes.LinkArtifact
            ? CollectionId is not null || TeamWide
            : alias is not null && AutomationMatcher.AliasMatches(AliasPattern ?? "", alias);
    }

    /// <summary>
    /// What is wrong with a trigger as entered (collection by name, before it is looked up): the field and why, or
    /// null. The pattern is checked only for alias triggers, where it is used.
    /// </summary>
    public static (string Field, string Message)? Check(string? eventType, string? collection, string? aliasPattern, bool teamWide = false) => eventType switch
    {
        ArtifactEventTypes.LinkArtifact or ArtifactEventTypes.AddArtifactAlias when teamWide && !string.IsNullOrWhiteSpace(collection) =>
            ("collection", "A team-wide automation watches every collection of every project: leave the collection empty."),
        ArtifactEventTypes.LinkArtifact when teamWide => null,
        ArtifactEventTypes.LinkArtifact when string.IsNullOrWhiteSpace(collection) =>
            ("collection", "Choose the artifact collection whose new versions trigger this automation."),
        ArtifactEventTypes.LinkArtifact => null,
        ArtifactEventTypes.AddArtifactAlias => AutomationMatcher.PatternError(aliasPattern?.Trim()) is { } error ? ("aliasPattern", error) : null,
        _ => ("eventType", $"Event type must be {ArtifactEventTypes.LinkArtifact} or {ArtifactEventTypes.AddArtifactAlias}."),
    };

    /// <summary>How lists show a trigger: "New version in eval-set", "Alias matching /prod.*/ in model".</summary>
    public static string Label(string eventType, string? collectionName, string? aliasPattern, bool teamWide = false) => eventType == ArtifactEventTypes.LinkArtifact
        ? $"New version in {(teamWide ? "any collection of the team" : collectionName ?? "(deleted collection)")}"
        : $"Alias matching /{aliasPattern}/" + (collectionName is null ? "" : $" in {collectionName}") + (teamWide ? " in any project" : "");
}
