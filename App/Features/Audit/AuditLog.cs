using System.Runtime.CompilerServices;
using System.Text.Json;
using Automations.Data;
using Automations.Infrastructure;
using Microsoft.EntityFrameworkCore.ChangeTracking;

namespace Automations.Features.Audit;

/// <summary>What a change was made to: its type (<see cref="AuditTargets"/>), id and name as they were at the time.</summary>
public sealed record AuditTarget(string Type, string? Id, string? Name)
{
    public static AuditTarget Of(string type, object? id, string? name) =>
        new(type, id is null ? null : Convert.ToString(id, System.Globalization.CultureInfo.InvariantCulture), name);
}

/// <summary>
/// Records changes in the audit log. An entry is added to the same context as the change it describes, so the one
/// SaveChanges (or transaction) that writes the change writes its entry: a change that fails leaves no entry, and no
/// change is written without one.
/// </summary>
public static class AuditLog
{
    /// <summary>Adds the entry for a change about to be saved with <paramref name="db"/>; the caller saves.</summary>
    public static AuditEntry Record(this AppDbContext db, TimeProvider clock, Actor actor, int teamId, string action, AuditTarget target, object? details = null) =>
        db.AddEntry(clock, actor.UserId, actor.UserName, actor.Origin, teamId, action, target, details);

    /// <summary>
    /// Adds the entry for a change the app made by itself (a webhook disabled after failures): no user, via
    /// <see cref="SystemVia"/>. The caller saves, in the change's transaction.
    /// </summary>
    public static AuditEntry RecordSystem(this AppDbContext db, TimeProvider clock, int teamId, string action, AuditTarget target, object? details = null) =>
        db.AddEntry(clock, null, SystemActor, new ActorOrigin(null, null, SystemVia), teamId, action, target, details);

    /// <summary>The actor name and origin of entries the app wrote by itself.</summary>
    public const string SystemActor = "Automations";
    public const string SystemVia = "system";

    private static AuditEntry AddEntry(this AppDbContext db, TimeProvider clock, string? userId, string userName, ActorOrigin? origin, int teamId, string action,
        AuditTarget target, object? details)
    {
        var entry = new AuditEntry
        {
            TeamId = teamId,
            At = clock.GetUtcNow(),
            ActorUserId = userId,
            ActorName = TextRules.Cap(userName, 256) ?? "",
            Via = TextRules.Cap(origin?.Via, 64),
            IpAddress = TextRules.Cap(origin?.IpAddress, 64),
            UserAgent = TextRules.Cap(origin?.UserAgent, AuditEntry.MaxUserAgentLength),
            Action = action,
            TargetType = target.Type,
            TargetId = TextRules.Cap(target.Id, 64),
            TargetName = TextRules.Cap(target.Name, AuditEntry.MaxNameLength),
            Details = Serialize(details),
        };
        db.AuditEntries.Add(entry);
        return entry;
    }

    /// <summary>
    /// For a change that creates a row whose id the database makes: saves the change, then the entry
    /// <paramref name="record"/> adds (now that the id is known), in one transaction (the caller's, if one is open).
    /// </summary>
    public static async Task SaveThenRecordAsync(this AppDbContext db, Action record, CancellationToken ct,
        [CallerMemberName] string caller = "", [CallerFilePath] string file = "")
    {
        // The caller's name, not this helper's, is what a slow write gate logs as its holder.
        var own = db.Database.CurrentTransaction is null ? await db.BeginWriteTransactionAsync(ct, caller, file) : null;
        await using (own)
        {
            await db.SaveChangesAsync(ct);
            record();
            await db.SaveChangesAsync(ct);
            if (own is not null)
            {
                await own.CommitAsync(ct);
            }
        }
    }

    /// <summary>
    /// What an update changed, for an entry's details: each changed property of <paramref name="shown"/> with its old and
    /// new value, and each changed one of <paramref name="hidden"/> (credentials, secret references' values) by name only.
    /// Null when nothing changed.
    /// </summary>
    public static Dictionary<string, object?>? Changes(EntityEntry entry, IEnumerable<string> shown, IEnumerable<string>? hidden = null)
    {
        entry.DetectChanges();
        var changes = new Dictionary<string, object?>(StringComparer.Ordinal);
        foreach (var name in shown)
        {
            var property = entry.Property(name);
            if (property.IsModified && !Equals(property.OriginalValue, property.CurrentValue))
            {
                changes[JsonNamingPolicy.CamelCase.ConvertName(name)] = new { from = property.OriginalValue, to = property.CurrentValue };
            }
        }

        foreach (var name in hidden ?? [])
        {
            var property = entry.Property(name);
            if (property.IsModified && !Equals(property.OriginalValue, property.CurrentValue))
            {
                // "ProtectedCredential" is stored encrypted; the entry names what it is, the credential.
                changes[JsonNamingPolicy.CamelCase.ConvertName(name.StartsWith("Protected", StringComparison.Ordinal) ? name["Protected".Length..] : name)] = "changed";
            }
        }

        return changes.Count == 0 ? null : changes;
    }

    private static string? Serialize(object? details)
    {
        if (details is null)
        {
            return null;
        }

        var json = JsonSerializer.Serialize(details, JsonSerializerOptions.Web);
        // A long value (a description, a template) would crowd the log: beyond the cap the entry keeps which fields changed.
        return json.Length <= AuditEntry.MaxDetailsLength ? json
            : JsonSerializer.Serialize(new { truncated = true, fields = FieldNames(details) }, JsonSerializerOptions.Web);
    }

    private static IEnumerable<string> FieldNames(object details) =>
        JsonSerializer.SerializeToElement(details, JsonSerializerOptions.Web) is { ValueKind: JsonValueKind.Object } element
            ? element.EnumerateObject().Select(p => p.Name).ToList()
            : [];
}

/// <summary>The kinds of thing an entry is about.</summary>
public static class AuditTargets
{
    public const string Team = "team";
    public const string Secret = "secret";
    public const string Webhook = "webhook";
    public const string Slack = "slack";
    public const string Member = "member";
    public const string ApiKey = "api_key";
    public const string Automation = "automation";
    public const string Job = "job";
    public const string Queue = "queue";
    public const string Run = "run";
    public const string LaunchRun = "launch_run";
    public const string Agent = "agent";

    public static readonly IReadOnlyList<string> All = [Team, Secret, Webhook, Slack, Member, ApiKey, Automation, Job, Queue, Agent, Run, LaunchRun];
}

/// <summary>Every action the log records, <c>area.verb</c>; the area is what <c>?action=webhook</c> filters on.</summary>
public static class AuditActions
{
    public const string TeamCreated = "team.created";
    public const string SecretCreated = "secret.created";
    public const string SecretValueReplaced = "secret.value_replaced";
    public const string SecretDeleted = "secret.deleted";
    public const string WebhookCreated = "webhook.created";
    public const string WebhookUpdated = "webhook.updated";
    public const string WebhookEnabled = "webhook.enabled";
    public const string WebhookDeleted = "webhook.deleted";
    public const string WebhookRecovered = "webhook.recovered";

    /// <summary>The Test button: a request with the webhook's (or a draft's) secrets went to its URL.</summary>
    public const string WebhookTested = "webhook.tested";

    /// <summary>Deliveries stopped by the app itself (410 Gone, or failures in a row); the actor is the system.</summary>
    public const string WebhookDisabled = "webhook.disabled";
    public const string SlackCreated = "slack.created";
    public const string SlackUpdated = "slack.updated";
    public const string SlackDeleted = "slack.deleted";
    public const string SlackTested = "slack.tested";
    public const string MemberAdded = "member.added";
    public const string MemberRoleChanged = "member.role_changed";
    public const string MemberRemoved = "member.removed";

    /// <summary>For team service keys (and any key bound to a team): the merger calls <see cref="AuditLog.Record"/> with these.</summary>
    public const string KeyCreated = "key.created";
    public const string KeyRevoked = "key.revoked";
    public const string AutomationCreated = "automation.created";
    public const string AutomationUpdated = "automation.updated";
    public const string AutomationEnabled = "automation.enabled";
    public const string AutomationDisabled = "automation.disabled";
    public const string AutomationDeleted = "automation.deleted";
    public const string JobCreated = "job.created";
    public const string JobVersionAdded = "job.version_added";
    public const string JobDeleted = "job.deleted";
    public const string QueueCreated = "queue.created";
    public const string QueueDeleted = "queue.deleted";
    public const string AgentRegistered = "agent.registered";
    public const string RunRedelivered = "run.redelivered";
    public const string LaunchStarted = "launch.started";
    public const string LaunchCancelled = "launch.cancelled";

    /// <summary>The areas, for the page's filter.</summary>
    public static readonly IReadOnlyList<string> Areas = ["team", "secret", "webhook", "slack", "member", "key", "automation", "job", "queue", "agent", "run", "launch"];
}
