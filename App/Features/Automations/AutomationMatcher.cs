using System.Collections.Concurrent;
using System.Text.RegularExpressions;
using Automations.Data;
using Automations.Features.Artifacts;
using Microsoft.EntityFrameworkCore;

namespace Automations.Features.Automations;

/// <summary>Which automations an event triggers.</summary>
public static class AutomationMatcher
{
    /// <summary>
    /// Alias patterns are user input, matched while the event's transaction is open. They run on the
    /// non-backtracking engine, whose time is linear in the alias (at most 64 characters), so no pattern can
    /// stall a writer; the timeout is a last guard, not the defence.
    /// </summary>
    public static readonly TimeSpan PatternTimeout = TimeSpan.FromMilliseconds(100);

    private const RegexOptions PatternOptions = RegexOptions.CultureInvariant | RegexOptions.NonBacktracking;

    /// <summary>Compiled patterns and their answers for aliases already seen, so matching in the transaction is a lookup.</summary>
    private static readonly BoundedCache<string, Regex?> Patterns = new(4096);

    private static readonly BoundedCache<(string Pattern, string Alias), bool> Answers = new(65536);

    /// <summary>
    /// The enabled, live automations of the event's project, and the team-scoped ones of its team, whose trigger
    /// matches. Each query reads only that project's (or that team's team-scoped) automations of that event type,
    /// through its own index, so the cost does not grow with the team's other projects. A new version seeks its
    /// collection in the index; an alias first reads the distinct (collection, pattern) pairs from the index and
    /// loads only the automations whose pattern matched, so thousands of alias automations sharing a few patterns
    /// cost a few rows, not thousands.
    /// </summary>
    public static async Task<List<Automation>> MatchAsync(AppDbContext db, ArtifactEvent e, CancellationToken ct)
    {
        var matches = await MatchInAsync(db, db.Automations.Where(a => a.ProjectId == e.ProjectId), e, ct);
        matches.AddRange(await MatchInAsync(db, db.Automations.Where(a => a.TeamId == e.TeamId && a.ProjectId == null), e, ct));
        return matches;
    }

    private static async Task<List<Automation>> MatchInAsync(AppDbContext db, IQueryable<Automation> scope, ArtifactEvent e, CancellationToken ct)
    {
        // Not tracked: the rows are only read, and the caller's SaveChanges must not scan them.
        var candidates = scope.AsNoTracking().Where(a => a.EventType == e.Type && a.DeletedAt == null && a.Enabled);
        if (e.Type == ArtifactEventTypes.AddArtifactAlias)
        {
            candidates = candidates.Where(a => a.CollectionId == null || a.CollectionId == e.CollectionId);
            var pairs = await candidates.Select(a => new { a.CollectionId, a.AliasPattern }).Distinct().ToListAsync(ct);
            var matched = pairs.Where(p => e.Alias is not null && AliasMatches(p.AliasPattern ?? "", e.Alias)).Select(p => p.AliasPattern).Distinct().ToList();
            if (matched.Count == 0)
            {
                return [];
            }

            candidates = candidates.Where(a => matched.Contains(a.AliasPattern));
        }
        else
        {
            // A team-wide trigger has no collection and takes any; a project's names its own.
            candidates = candidates.Where(a => a.CollectionId == e.CollectionId || a.ProjectId == null);
        }

        return (await candidates.ToListAsync(ct)).Where(a => Trigger.Of(a).Matches(e)).ToList();
    }

    /// <summary>
    /// Before the event's write transaction: compiles the alias patterns of the project (and of its team's team-wide
    /// automations) and answers them for the aliases about to be added, so the user-controlled work is done outside
    /// the database's write lock.
    /// </summary>
    public static async Task PrepareAsync(AppDbContext db, int teamId, int projectId, IReadOnlyCollection<string> aliases, CancellationToken ct)
    {
        if (aliases.Count == 0)
        {
            return;
        }

        // Two queries, each down its own index (an OR of the two scopes would read the table).
        var patterns = await AliasPatterns(db.Automations.Where(a => a.ProjectId == projectId)).ToListAsync(ct);
        patterns.AddRange(await AliasPatterns(db.Automations.Where(a => a.TeamId == teamId && a.ProjectId == null)).ToListAsync(ct));
        foreach (var pattern in patterns)
        {
            foreach (var alias in aliases)
            {
                AliasMatches(pattern, alias);
            }
        }
    }

    private static IQueryable<string> AliasPatterns(IQueryable<Automation> scope) => scope.AsNoTracking()
        .Where(a => a.EventType == ArtifactEventTypes.AddArtifactAlias && a.DeletedAt == null && a.Enabled && a.AliasPattern != null)
        .Select(a => a.AliasPattern!).Distinct();

    /// <summary>The pattern must match the whole alias; a pattern that cannot be compiled, or a timeout, counts as no match.</summary>
    public static bool AliasMatches(string pattern, string alias) => Answers.GetOrAdd((pattern, alias), key =>
    {
        if (Patterns.GetOrAdd(key.Pattern, Compile) is not { } regex)
        {
            return false;
        }

        try
        {
            return regex.IsMatch(key.Alias);
        }
        catch (RegexMatchTimeoutException)
        {
            return false;
        }
    });

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
            _ = new Regex(Anchored(pattern), PatternOptions, PatternTimeout);
            return null;
        }
        catch (NotSupportedException)
        {
            // Backreferences, lookarounds, atomic groups and conditionals need backtracking, which a hostile pattern turns into minutes.
            return "The alias pattern uses a construct that cannot be matched in linear time (a backreference, lookaround, atomic group or conditional); rewrite it without one.";
        }
        catch (ArgumentException ex)
        {
            return $"The alias pattern is not a valid regular expression: {Describe(ex, pattern.Length)}";
        }
    }

    private static string Anchored(string pattern) => $"^(?:{pattern})$";

    private static Regex? Compile(string pattern)
    {
        try
        {
            return new Regex(Anchored(pattern), PatternOptions, PatternTimeout);
        }
        catch (Exception ex) when (ex is ArgumentException or NotSupportedException)
        {
            // Saved before patterns were checked for the linear engine: it matches nothing.
            return null;
        }
    }

    /// <summary>The parser's reason without its wrapper ("Invalid pattern '…' at offset 3. Not enough )'s.").</summary>
    private static string Describe(ArgumentException ex, int patternLength) => ex is RegexParseException parse
        ? $"{parse.Error switch
        {
            RegexParseError.InsufficientClosingParentheses => "a '(' is not closed",
            RegexParseError.InsufficientOpeningParentheses => "a ')' has no '(' before it",
            RegexParseError.UnterminatedBracket => "a '[' is not closed",
            RegexParseError.QuantifierAfterNothing => "a quantifier (*, + or ?) follows nothing",
            RegexParseError.NestedQuantifiersNotParenthesized => "two quantifiers follow each other",
            RegexParseError.UnescapedEndingBackslash => "it ends with a lone backslash",
            _ => parse.Error.ToString(),
        }} (near character {Math.Clamp(parse.Offset - 4, 1, patternLength)})."
        : ex.Message;

    /// <summary>A concurrent dictionary that starts afresh when full: enough for a working set, never unbounded.</summary>
    private sealed class BoundedCache<TKey, TValue>(int capacity) where TKey : notnull
    {
        private ConcurrentDictionary<TKey, TValue> _entries = new();

        public TValue GetOrAdd(TKey key, Func<TKey, TValue> factory)
        {
            var entries = _entries;
            if (entries.TryGetValue(key, out var value))
            {
                return value;
            }

            if (entries.Count >= capacity)
            {
                _entries = entries = new ConcurrentDictionary<TKey, TValue>();
            }

            return entries.GetOrAdd(key, factory);
        }
    }
}
