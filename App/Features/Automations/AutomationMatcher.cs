using System.Text.RegularExpressions;
using Automations.Data;
using Automations.Features.Artifacts;
using Microsoft.EntityFrameworkCore;

namespace Automations.Features.Automations;

/// <summary>Which automations an event triggers.</summary>
public static class AutomationMatcher
{
    /// <summary>Alias patterns are user input: a pathological one must not stall event processing.</summary>
    public static readonly TimeSpan PatternTimeout = TimeSpan.FromMilliseconds(100);

    /// <summary>
    /// The enabled, live automations of the event's project whose trigger matches. The query reads only
    /// that project's automations of that event type (an index covers it); the rest is done in memory.
    /// </summary>
    public static async Task<List<Automation>> MatchAsync(AppDbContext db, ArtifactEvent e, CancellationToken ct)
    {
        // Not tracked: the rows are only read, and the caller's SaveChanges must not scan them.
        var candidates = await db.Automations.AsNoTracking()
            .Where(a => a.ProjectId == e.ProjectId && a.EventType == e.Type && a.DeletedAt == null && a.Enabled
                        && (a.CollectionId == null || a.CollectionId == e.CollectionId))
            .ToListAsync(ct);
        return candidates.Where(a => Matches(a.EventType, a.CollectionId, a.AliasPattern, e.Type, e.CollectionId, e.Alias)).ToList();
    }

    public static bool Matches(string triggerType, int? triggerCollectionId, string? aliasPattern, string eventType, int eventCollectionId, string? alias)
    {
        if (triggerType != eventType)
        {
            return false;
        }
        if (triggerCollectionId is not null && triggerCollectionId != eventCollectionId)
        {
            return false;
        }
        if (eventType == ArtifactEventTypes.LinkArtifact)
        {
            // A new-version trigger whose collection was deleted matches nothing.
            return triggerCollectionId is not null;
        }

        return alias is not null && AliasMatches(aliasPattern ?? "", alias);
    }

    /// <summary>The pattern must match the whole alias; a timeout counts as no match.</summary>
    public static bool AliasMatches(string pattern, string alias)
    {
        try
        {
            return Regex.IsMatch(alias, $"^(?:{pattern})$", RegexOptions.CultureInvariant, PatternTimeout);
        }
        catch (RegexMatchTimeoutException)
        {
            return false;
        }
    }

    /// <summary>Null when the pattern is a usable regular expression, else why not.</summary>
    public static string? PatternError(string? pattern)
    {
        if (string.IsNullOrWhiteSpace(pattern))
        {
            return "Enter an alias pattern, for example production or test-set-.*";
        }
        if (pattern.Length > AutomationService.MaxPatternLength)
        {
            return $"The alias pattern must be at most {AutomationService.MaxPatternLength} characters.";
        }

        try
        {
            _ = new Regex($"^(?:{pattern})$", RegexOptions.CultureInvariant, PatternTimeout);
            return null;
        }
        catch (ArgumentException ex)
        {
            return $"The alias pattern is not a valid regular expression: {ex.Message}";
        }
    }
}
