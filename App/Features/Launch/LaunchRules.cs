using System.Text.Json;
using System.Text.Json.Nodes;
using Automations.Data;
using Automations.Features.Artifacts;
using Automations.Features.Automations;
using Automations.Features.Secrets;
using Automations.Infrastructure;
using Microsoft.EntityFrameworkCore;

namespace Automations.Features.Launch;

/// <summary>What jobs, queues, launch runs and agents share: limits, the run list's shape, version lookup, locks.</summary>
public static class LaunchRules
{
    public const int MaxNameLength = ArtifactRules.MaxNameLength;
    public const int MaxProgramLength = 1024;
    public const int MaxArguments = 200;
    public const int MaxValueLength = 8192;
    public const int MaxEnvironmentVariables = 100;
    public const int MaxConfigBytes = 256 * 1024;
    public const int MaxOutputChars = 64 * 1024;
    public const string ReservedEnvironmentPrefix = "AUTOMATIONS_";

    internal static readonly JsonSerializerOptions Compact = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>Overrides are a JSON object template: variables allowed, secrets not.</summary>
    public static IReadOnlyList<string> OverrideErrors(string? template)
    {
        if (string.IsNullOrWhiteSpace(template))
        {
            return [];
        }

        var errors = PayloadTemplate.Validate(template, [], "Overrides cannot use secrets (the configuration is shown on the run): reference secrets in the job's environment instead.");
        if (errors.Count == 0 && JsonNode.Parse(template) is not JsonObject)
        {
            return ["The overrides must be a JSON object, e.g. {\"learning_rate\": 0.01}."];
        }

        return errors;
    }

    internal static JsonObject ParseObject(string json) => JsonNode.Parse(json) as JsonObject ?? [];

    /// <summary>Of one job's versions, the one to run: the given number, or the latest at this moment.</summary>
    internal static Task<LaunchJobVersion?> ResolveVersionAsync(IQueryable<LaunchJobVersion> versionsOfJob, int? number, CancellationToken ct) =>
        versionsOfJob.Where(v => number == null || v.Number == number).OrderByDescending(v => v.Number).FirstOrDefaultAsync(ct);

    internal static IQueryable<LaunchRunSummary> Summaries(IQueryable<LaunchRun> runs) =>
        runs.Select(r => new LaunchRunSummary(
            r.Id, r.Queue.Name, r.JobVersion.Job.Name, r.JobVersion.Number, r.Project.Name, r.Status,
            r.Agent == null ? null : r.Agent.Name, r.ExitCode, r.Error, r.AutomationId, r.AutomationRunId, r.EventId,
            r.CancelRequested, r.Requeues, r.CreatedAt, r.CreatedBy, r.ClaimedAt, r.StartedAt, r.EndedAt));

    /// <summary>Names the automations that caused <paramref name="runs"/> (one query for the page), so pages show names and links, not ids.</summary>
    internal static async Task<List<LaunchRunSummary>> NamedAsync(AppDbContext db, IReadOnlyList<LaunchRunSummary> runs, CancellationToken ct)
    {
        var ids = runs.Where(r => r.AutomationId is not null).Select(r => r.AutomationId!.Value).Distinct().ToList();
        var names = ids.Count == 0 ? [] : await db.Automations.Where(a => ids.Contains(a.Id))
            .Select(a => new { a.Id, a.Name, Project = a.Project == null ? null : a.Project.Name }).ToDictionaryAsync(a => a.Id, ct);
        return runs.Select(r => r.AutomationId is { } id && names.TryGetValue(id, out var a) ? r with { AutomationName = a.Name, AutomationProject = a.Project } : r).ToList();
    }

    internal static string RunLock(long runId) => $"launch-run:{runId}";

    internal static async Task SaveUniqueAsync(AppDbContext db, string field, string message, CancellationToken ct)
    {
        try
        {
            await db.SaveChangesAsync(ct);
        }
        catch (DbUpdateException ex) when (ex.IsUniqueViolation())
        {
            throw new ConflictException(field, message);
        }
    }

    /// <summary>The first ${NAME} in <paramref name="value"/> that names no secret, or null.</summary>
    internal static string? MissingSecret(string value, Func<string, bool> exists) =>
        SecretReferences.Names(value).FirstOrDefault(n => !exists(n));
}
