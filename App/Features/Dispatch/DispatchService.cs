using System.Text.Json;
using Automations.Data;
using Automations.Features.Artifacts;
using Automations.Infrastructure;
using Microsoft.EntityFrameworkCore;

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
    string? QueueName = null);

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

/// <summary>Run history and redelivery, for the members of the run's team.</summary>
public sealed class DispatchService(IDbContextFactory<AppDbContext> dbFactory, IDispatchQueue queue, TimeProvider clock)
{
    public async Task<Paged<RunSummary>> ListRunsAsync(Actor actor, string team, string project, int? automationId = null, RunStatus? status = null,
        int page = 1, int pageSize = 50, CancellationToken ct = default)
    {
        page = Math.Max(1, page);
        pageSize = Math.Clamp(pageSize, 1, 200);
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var access = await ArtifactService.ProjectAccessAsync(db, actor, team, project, ct);
        var query = db.AutomationRuns.Where(r => r.ProjectId == access.ProjectId);
        if (automationId is not null)
        {
            query = query.Where(r => r.AutomationId == automationId);
        }
        if (status is not null)
        {
            query = query.Where(r => r.Status == status);
        }

        var total = await query.CountAsync(ct);
        var items = await Project(query.OrderByDescending(r => r.Id).Skip((page - 1) * pageSize).Take(pageSize)).ToListAsync(ct);
        return new Paged<RunSummary>(items, page, pageSize, total);
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

    /// <summary>A fresh attempt for a finished run, with the same webhook-id. Any team member may redeliver.</summary>
    public async Task<RunSummary> RedeliverAsync(Actor actor, string team, string project, long runId, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var access = await ArtifactService.ProjectAccessAsync(db, actor, team, project, ct);
        await using (var tx = await db.BeginWriteTransactionAsync(ct))
        {
            var run = await db.AutomationRuns.FirstOrDefaultAsync(r => r.ProjectId == access.ProjectId && r.Id == runId, ct)
                ?? throw new NotFoundException($"Run {runId} not found.");
            if (run.Status is not (RunStatus.Succeeded or RunStatus.Failed))
            {
                throw new ConflictException("status", "Only a finished run (Succeeded or Failed) can be redelivered; this one is still in progress.");
            }

            var now = clock.GetUtcNow();
            (run.Status, run.ManualRedelivery, run.NextAttemptAt, run.CompletedAt, run.UpdatedAt) = (RunStatus.Pending, true, now, null, now);
            await db.SaveChangesAsync(ct);
            await tx.CommitAsync(ct);
        }

        queue.Enqueue(runId);
        return await Project(db.AutomationRuns.Where(r => r.Id == runId)).SingleAsync(ct);
    }

    private static IQueryable<RunSummary> Project(IQueryable<AutomationRun> runs) => runs.Select(r => new RunSummary(
        r.Id, r.MessageId, r.AutomationId, r.Automation.Name, r.Status, r.Event.Type, r.EventId,
        r.Event.Collection.Name + ":v" + r.Event.Version.Index, r.Event.Alias, r.WebhookName, r.AttemptCount,
        r.CreatedAt, r.CompletedAt, r.NextAttemptAt, r.LastError, r.ActionType, r.JobName, r.QueueName));

    private static IReadOnlyList<KeyValuePair<string, string>> Headers(string json) =>
        JsonSerializer.Deserialize<List<KeyValuePair<string, string>>>(json) ?? [];
}
