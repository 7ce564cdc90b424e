using Automations.Infrastructure;
using Automations.Features.Artifacts;
using Automations.Features.Automations;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Automations.Features.Dispatch;

public enum RunStatus
{
    Pending = 0,
    Retrying = 1,
    Succeeded = 2,
    Failed = 3,
}

/// <summary>
/// One automation carried out for one event. It snapshots its action when created, so editing or
/// deleting the automation later does not change a run that already started.
/// </summary>
public class AutomationRun
{
    public long Id { get; set; }

    /// <summary>The <c>webhook-id</c> header: the same on every attempt, so receivers can drop duplicates.</summary>
    public string MessageId { get; set; } = "";

    public int AutomationId { get; set; }

    public int TeamId { get; set; }

    public int ProjectId { get; set; }

    public long EventId { get; set; }

    public RunStatus Status { get; set; }

    public string ActionType { get; set; } = ActionTypes.Webhook;

    /// <summary>The webhook the run calls, if any: a column of its own, because a webhook's deliveries are listed, counted and resumed by it.</summary>
    public int? WebhookId { get; set; }

    /// <summary>The run's copy of its automation's action, taken when the run was made (one JSON value).</summary>
    public ActionSnapshot Action { get; set; } = new();

    public int AttemptCount { get; set; }

    /// <summary>When the next attempt is due; null while waiting (a disabled webhook) or when finished.</summary>
    public DateTimeOffset? NextAttemptAt { get; set; }

    /// <summary>The next attempt is a manual redelivery: one attempt, no automatic retries after it.</summary>
    public bool ManualRedelivery { get; set; }

    public string? LeaseOwner { get; set; }

    public DateTimeOffset? LeaseExpiresAt { get; set; }

    /// <summary>When the sweeper last handed this run to the job queue again: it does so at most once per grace, so a backlog is not enqueued twice.</summary>
    public DateTimeOffset? SweptAt { get; set; }

    public string? LastError { get; set; }

    public DateTimeOffset CreatedAt { get; set; }

    public DateTimeOffset UpdatedAt { get; set; }

    public DateTimeOffset? CompletedAt { get; set; }

    public Automation Automation { get; set; } = null!;

    public ArtifactEvent Event { get; set; } = null!;

    public List<DeliveryAttempt> Attempts { get; set; } = [];

    /// <summary>
    /// The attempt just made moves the run on: succeeded, retrying after <paramref name="retryIn"/>, or failed (no more
    /// tries); the lease is given back either way.
    /// </summary>
    public void Record(DeliveryAttempt attempt, DateTimeOffset now, TimeSpan? retryIn)
    {
        (AttemptCount, ManualRedelivery, LeaseOwner, LeaseExpiresAt, UpdatedAt) = (attempt.Number, false, null, null, now);
        if (attempt.Outcome == AttemptOutcome.Succeeded)
        {
            (Status, NextAttemptAt, CompletedAt, LastError) = (RunStatus.Succeeded, null, now, null);
            return;
        }

        LastError = attempt.Error ?? $"HTTP {attempt.ResponseStatus}";
        (Status, NextAttemptAt) = retryIn is { } delay ? (RunStatus.Retrying, now + delay) : (RunStatus.Failed, (DateTimeOffset?)null);
        CompletedAt = retryIn is null ? now : CompletedAt;
    }

    /// <summary>Gives the lease back and leaves the run unfinished and not due: it waits until something makes it due again.</summary>
    public void Park(string reason, DateTimeOffset now) =>
        (LeaseOwner, LeaseExpiresAt, NextAttemptAt, LastError, UpdatedAt) = (null, null, null, reason, now);
}

/// <summary>
/// What a run carries out, as its automation said when the run was made: editing or deleting the automation, its
/// webhook or its job later does not change a run that already started. Stored as one JSON column; the action that made
/// it (<see cref="AutomationRun.ActionType"/>) reads the fields it wrote.
/// </summary>
public sealed class ActionSnapshot
{
    /// <summary>Webhook: its name when the run was made, so history can name a webhook deleted since.</summary>
    public string? WebhookName { get; set; }

    /// <summary>Webhook: the payload template. Job: the configuration overrides template.</summary>
    public string? Template { get; set; }

    public int? JobId { get; set; }

    public string? JobName { get; set; }

    /// <summary>Null: the job's latest version when the launch run is created.</summary>
    public int? JobVersion { get; set; }

    public int? QueueId { get; set; }

    public string? QueueName { get; set; }

    public int? DestinationProjectId { get; set; }

    /// <summary>What the run calls, as people read it: "webhook Build trigger", "Slack #ml-alerts (alerts)".</summary>
    public string? Target { get; set; }

    /// <summary>An action that keeps its settings to itself (Slack): its JSON document, as the automation held it.</summary>
    public string? Settings { get; set; }
}

public enum AttemptOutcome
{
    Succeeded = 0,
    WillRetry = 1,
    Failed = 2,
}

/// <summary>One try at delivering a run, as it went over the wire, secret values redacted.</summary>
public class DeliveryAttempt
{
    public long Id { get; set; }

    public long RunId { get; set; }

    public int Number { get; set; }

    public bool Manual { get; set; }

    public DateTimeOffset StartedAt { get; set; }

    public int DurationMs { get; set; }

    public string RequestUrl { get; set; } = "";

    public string RequestHeadersJson { get; set; } = "[]";

    public string RequestBody { get; set; } = "";

    public int? ResponseStatus { get; set; }

    public string ResponseHeadersJson { get; set; } = "[]";

    public string? ResponseBody { get; set; }

    public string? Error { get; set; }

    public AttemptOutcome Outcome { get; set; }

    public AutomationRun Run { get; set; } = null!;

    /// <summary>The next attempt of <paramref name="run"/>, as it went: what was sent where, what came back, or why nothing did.</summary>
    public static DeliveryAttempt Of(AutomationRun run, DateTimeOffset startedAt, string url, string body, Webhooks.DeliveryResult? result, string? error) => new()
    {
        RunId = run.Id,
        Number = run.AttemptCount + 1,
        Manual = run.ManualRedelivery,
        StartedAt = startedAt,
        DurationMs = (int)(result?.Duration.TotalMilliseconds ?? 0),
        RequestUrl = url,
        RequestBody = body,
        ResponseStatus = result?.StatusCode,
        ResponseHeadersJson = System.Text.Json.JsonSerializer.Serialize(result?.ResponseHeaders ?? []),
        ResponseBody = result?.ResponseBody,
        Error = TextRules.Cap(error, 2000),
    };
}

internal sealed class DispatchConfigurations : IEntityTypeConfiguration<AutomationRun>, IEntityTypeConfiguration<DeliveryAttempt>
{
    public void Configure(EntityTypeBuilder<AutomationRun> builder)
    {
        builder.Property(r => r.MessageId).HasMaxLength(40);
        builder.Property(r => r.Status).HasConversion<string>().HasMaxLength(16);
        builder.Property(r => r.ActionType).HasMaxLength(16);
        builder.OwnsOne(r => r.Action, action => action.ToJson());
        // Whatever a worker saves about its run holds only while it still owns the lease: a worker that outlived its lease
        // (another took the run over) fails to save instead of overwriting the other's result.
        builder.Property(r => r.LeaseOwner).HasMaxLength(100).IsConcurrencyToken();
        builder.Property(r => r.LastError).HasMaxLength(2000);
        builder.HasIndex(r => r.MessageId).IsUnique();
        // The sweeper's question: which unfinished runs are due?
        builder.HasIndex(r => new { r.Status, r.NextAttemptAt });
        // History's lists, newest first: by project or automation, each with or without a status filter. The last run
        // of an automation (its list's "Last run") is one seek on the first.
        builder.HasIndex(r => new { r.AutomationId, r.Id });
        builder.HasIndex(r => new { r.AutomationId, r.Status, r.Id });
        builder.HasIndex(r => new { r.ProjectId, r.Id });
        builder.HasIndex(r => new { r.ProjectId, r.Status, r.Id });
        builder.HasIndex(r => new { r.WebhookId, r.Status, r.Id });
        // A webhook's deliveries, newest first (Team Settings), and recover's failed runs of one webhook.
        builder.HasIndex(r => new { r.WebhookId, r.Id });
        // Retention: the oldest finished runs first.
        builder.HasIndex(r => r.CompletedAt);
        builder.HasOne(r => r.Automation).WithMany().HasForeignKey(r => r.AutomationId).OnDelete(DeleteBehavior.Cascade);
        builder.HasOne(r => r.Event).WithMany().HasForeignKey(r => r.EventId).OnDelete(DeleteBehavior.Cascade);
    }

    public void Configure(EntityTypeBuilder<DeliveryAttempt> builder)
    {
        builder.Property(a => a.RequestUrl).HasMaxLength(2048);
        builder.Property(a => a.Error).HasMaxLength(2000);
        builder.Property(a => a.Outcome).HasConversion<string>().HasMaxLength(16);
        builder.HasIndex(a => new { a.RunId, a.Number });
        // Retention: the oldest attempts first.
        builder.HasIndex(a => a.StartedAt);
        builder.HasOne(a => a.Run).WithMany(r => r.Attempts).HasForeignKey(a => a.RunId).OnDelete(DeleteBehavior.Cascade);
    }
}
