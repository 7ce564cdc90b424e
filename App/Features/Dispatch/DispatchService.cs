using Automations.Infrastructure.Live;
using System.Text.Json;
using Automations.Data;
using Automations.Features.Audit;
using Automations.Features.Artifacts;
using Automations.Infrastructure;
using Automations.Features.Teams;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Automations.Features.Dispatch;

public sealed record RunSummary(
    long Id,
    string MessageId,
    int AutomationId,
    string AutomationName,
    RunStatus Status,
    string EventType,
    long EventId,
    string Version,
    string? Alias,
    string? WebhookName,
    int AttemptCount,
    DateTimeOffset CreatedAt,
    DateTimeOffset? CompletedAt,
    DateTimeOffset? NextAttemptAt,
    string? LastError,
    string ActionType = "webhook",
    string? JobName = null,
    string? QueueName = null,
    string? ProjectName = null)
{
    /// <summary>What the run calls, as people read it ("Slack #ml-alerts (alerts)"); null for runs made before it was kept.</summary>
    public string? Target { get; init; }
}

public sealed record AttemptView(
    int Number,
    bool Manual,
    DateTimeOffset StartedAt,
    int DurationMs,
    string RequestUrl,
    IReadOnlyList<KeyValuePair<string, string>> RequestHeaders,
    string RequestBody,
    int? ResponseStatus,
    IReadOnlyList<KeyValuePair<string, string>> ResponseHeaders,
    string? ResponseBody,
    string? Error,
    AttemptOutcome Outcome);

/// <summary>LaunchRunIds: for a job action, the launch runs its attempts queued.</summary>
public sealed record RunDetail(RunSummary Run, IReadOnlyList<AttemptView> Attempts, IReadOnlyList<long> LaunchRunIds);

/// <summary>What a recover request did: how many failed runs are queued again, and over how long they are spread.</summary>
public sealed record RecoverResult(int Queued, DateTimeOffset Since, TimeSpan SpreadOver);

/// <summary>Run history and redelivery, for the members of the run's team.</summary>
public sealed class DispatchService(IDbContextFactory<AppDbContext> dbFactory, IDispatchQueue queue, IOptionsMonitor<DispatchOptions> options, TimeProvider clock,
    ChangeFeed changes)
{
    /// <summary>A recover request queues at most this many runs; ask again for more.</summary>
    public const int MaxRecoverBatch = 10_000;

    public async Task<Paged<RunSummary>> ListRunsAsync(Actor actor, string team, string project, int? automationId = null, RunStatus? status = null,
        PageRequest? paging = null, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var access = await ArtifactService.ProjectAccessAsync(db, actor, team, project, ct);
        var query = db.AutomationRuns.Where(r => r.ProjectId == access.ProjectId);
        if (automationId is not null)
        {
            query = query.Where(r => r.AutomationId == automationId);
        }

        return await PageAsync(query, status, paging, ct);
    }

    public async Task<RunDetail> GetRunAsync(Actor actor, string team, string project, long runId, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var access = await ArtifactService.ProjectAccessAsync(db, actor, team, project, ct);
        var run = await Project(db.AutomationRuns.Where(r => r.ProjectId == access.ProjectId && r.Id == runId)).FirstOrDefaultAsync(ct)
            ?? throw new NotFoundException($"Run {runId} not found.");
        var attempts = await db.DeliveryAttempts.Where(a => a.RunId == runId).OrderBy(a => a.Number).ToListAsync(ct);
        var launches = await db.LaunchRuns.Where(l => l.AutomationRunId == runId).OrderBy(l => l.Id).Select(l => l.Id).ToListAsync(ct);
        return new RunDetail(run, attempts.Select(a => new AttemptView(
            a.Number, a.Manual, a.StartedAt, a.DurationMs, a.RequestUrl, Headers(a.RequestHeadersJson), a.RequestBody,
            a.ResponseStatus, Headers(a.ResponseHeadersJson), a.ResponseBody, a.Error, a.Outcome)).ToList(), launches);
    }

    /// <summary>
    /// A fresh attempt for a finished run, with the same webhook-id. Any team member may redeliver. One conditional
    /// UPDATE (still finished?), so two people clicking at once, on one instance or two, make one attempt.
    /// </summary>
    public async Task<RunSummary> RedeliverAsync(Actor actor, string team, string project, long runId, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var access = await ArtifactService.ProjectAccessAsync(db, actor, team, project, ct);
        var run = db.AutomationRuns.Where(r => r.ProjectId == access.ProjectId && r.Id == runId);
        var now = clock.GetUtcNow();
        await using (var tx = await db.BeginWriteTransactionAsync(ct))
        {
            // The conditional UPDATE and its audit entry commit together; a second click finds the run in progress and records nothing.
            if (await Redeliver(run.Where(r => r.Status == RunStatus.Succeeded || r.Status == RunStatus.Failed), now, ct) == 0)
            {
                _ = await run.Select(r => (long?)r.Id).FirstOrDefaultAsync(ct) ?? throw new NotFoundException($"Run {runId} not found.");
                throw new ConflictException("status", "Only a finished run (Succeeded or Failed) can be redelivered; this one is still in progress.");
            }

            db.Record(clock, actor, access.Team.TeamId, AuditActions.RunRedelivered,
                AuditTarget.Of(AuditTargets.Run, runId, await run.Select(r => r.Automation.Name).FirstAsync(ct)), new { project });
            await db.SaveChangesAsync(ct);
            await tx.CommitAsync(ct);
        }

        changes.Publish(new Change(ChangeKind.Run, access.Team.TeamId, runId, access.ProjectId));
        queue.Enqueue(runId);
        return await Project(db.AutomationRuns.Where(r => r.Id == runId)).SingleAsync(ct);
    }

    /// <summary>A webhook's deliveries across every automation and project of the team, newest first (Team Settings).</summary>
    public async Task<Paged<RunSummary>> ListWebhookDeliveriesAsync(Actor actor, string team, int webhookId, RunStatus? status = null,
        PageRequest? paging = null, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var access = await TeamService.GetAccessAsync(db, actor, team, ct);
        await RequireWebhookAsync(db, access.TeamId, webhookId, ct);
        return await PageAsync(db.AutomationRuns.Where(r => r.TeamId == access.TeamId && r.WebhookId == webhookId), status, paging, ct);
    }

    /// <summary>One page of runs, newest first, optionally of one status, with the total.</summary>
    private static Task<Paged<RunSummary>> PageAsync(IQueryable<AutomationRun> query, RunStatus? status, PageRequest? paging, CancellationToken ct) =>
        (status is null ? query : query.Where(r => r.Status == status)).PageAsync(r => r.Id, paging, Project, r => r.Id, ct);

    /// <summary>
    /// After an outage: every failed run of the webhook created since <paramref name="since"/> gets one fresh attempt
    /// (as Redeliver does), spread at <see cref="DispatchOptions.RecoverPerSecond"/> so the endpoint that just came back
    /// is not flooded (Svix calls this recover). Admins only. Each run is claimed by a conditional UPDATE, so two
    /// recover requests at once queue each run once.
    /// </summary>
    public async Task<RecoverResult> RecoverAsync(Actor actor, string team, int webhookId, DateTimeOffset since, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var access = await TeamService.RequireAdminAsync(db, actor, team, ct);
        await RequireWebhookAsync(db, access.TeamId, webhookId, ct);
        var now = clock.GetUtcNow();
        if (since > now)
        {
            throw new InputException("since", "Choose a time in the past: failed runs created since then are sent again.");
        }

        var ids = await db.AutomationRuns
            .Where(r => r.TeamId == access.TeamId && r.WebhookId == webhookId && r.Status == RunStatus.Failed && r.CreatedAt >= since)
            .OrderBy(r => r.Id).Select(r => r.Id).Take(MaxRecoverBatch).ToListAsync(ct);
        var spacing = TimeSpan.FromSeconds(1 / Math.Max(0.01, options.CurrentValue.RecoverPerSecond));
        var queued = new List<(long Id, TimeSpan Delay)>();
        await using (var tx = await db.BeginWriteTransactionAsync(ct))
        {
            foreach (var id in ids)
            {
                var delay = spacing * queued.Count;
                if (await Redeliver(db.AutomationRuns.Where(r => r.Id == id && r.Status == RunStatus.Failed), now + delay, ct) == 1)
                {
                    queued.Add((id, delay));
                }
            }

            db.Record(clock, actor, access.TeamId, AuditActions.WebhookRecovered, AuditTarget.Of(AuditTargets.Webhook, webhookId, await WebhookNameAsync(db, webhookId, ct)),
                new { since, queued = queued.Count });
            await db.SaveChangesAsync(ct);
            await tx.CommitAsync(ct);
        }

        if (queued.Count > 0)
        {
            changes.Publish(new Change(ChangeKind.Run, access.TeamId, WebhookId: webhookId));
        }

        queued.ForEach(run => queue.Schedule(run.Id, run.Delay));
        return new RecoverResult(queued.Count, since, queued.Count == 0 ? TimeSpan.Zero : queued[^1].Delay);
    }

    private static Task<int> Redeliver(IQueryable<AutomationRun> runs, DateTimeOffset due, CancellationToken ct) =>
        runs.ExecuteUpdateAsync(s => s
            .SetProperty(r => r.Status, RunStatus.Pending)
            .SetProperty(r => r.ManualRedelivery, true)
            .SetProperty(r => r.NextAttemptAt, due)
            .SetProperty(r => r.CompletedAt, (DateTimeOffset?)null)
            .SetProperty(r => r.UpdatedAt, due), ct);

    private static Task<string> WebhookNameAsync(AppDbContext db, int webhookId, CancellationToken ct) =>
        db.Webhooks.Where(w => w.Id == webhookId).Select(w => w.Name).FirstAsync(ct);

    private static async Task RequireWebhookAsync(AppDbContext db, int teamId, int webhookId, CancellationToken ct)
    {
        if (!await db.Webhooks.AnyAsync(w => w.Id == webhookId && w.TeamId == teamId, ct))
        {
            throw new NotFoundException($"Webhook {webhookId} not found.");
        }
    }

    private static IQueryable<RunSummary> Project(IQueryable<AutomationRun> runs) => runs.Select(r => new RunSummary(
        r.Id, r.MessageId, r.AutomationId, r.Automation.Name, r.Status, r.Event.Type, r.EventId,
        r.Event.Collection.Name + ":v" + r.Event.Version.Index, r.Event.Alias, r.Action.WebhookName, r.AttemptCount,
        r.CreatedAt, r.CompletedAt, r.NextAttemptAt, r.LastError, r.ActionType, r.Action.JobName, r.Action.QueueName, r.Event.Project.Name)
    {
        Target = r.Action.Target,
    });

    private static IReadOnlyList<KeyValuePair<string, string>> Headers(string json) =>
        JsonSerializer.Deserialize<List<KeyValuePair<string, string>>>(json) ?? [];
}
