using System.Text.Json.Nodes;
using Automations.Data;
using Automations.Features.Audit;
using Automations.Features.Artifacts;
using Automations.Features.Teams;
using Automations.Infrastructure;
using Microsoft.EntityFrameworkCore;
using static Automations.Features.Launch.LaunchRules;

namespace Automations.Features.Launch;

/// <summary>Launch runs as people see them: list, detail, launch by hand, cancel.</summary>
public sealed class LaunchRunService(
    IDbContextFactory<AppDbContext> dbFactory,
    TimeProvider clock)
{
    public async Task<Paged<LaunchRunSummary>> ListRunsAsync(Actor actor, string team, string? queue, LaunchRunStatus? status, PageRequest? paging = null, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var access = await TeamService.GetAccessAsync(db, actor, team, ct);
        var query = db.LaunchRuns.Where(r => r.TeamId == access.TeamId);
        if (!string.IsNullOrEmpty(queue))
        {
            var queueId = await db.LaunchQueues.Where(q => q.TeamId == access.TeamId && q.Name == queue).Select(q => (int?)q.Id).FirstOrDefaultAsync(ct)
                ?? throw new NotFoundException($"Queue '{queue}' not found.");
            query = query.Where(r => r.QueueId == queueId);
        }

        if (status is not null)
        {
            query = query.Where(r => r.Status == status);
        }

        var page = await query.PageAsync(r => r.Id, paging, Summaries, r => r.Id, ct);
        return page with { Items = await NamedAsync(db, page.Items, ct) };
    }

    public async Task<LaunchRunDetail> GetRunAsync(Actor actor, string team, long id, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var access = await TeamService.GetAccessAsync(db, actor, team, ct);
        var query = db.LaunchRuns.Where(r => r.TeamId == access.TeamId && r.Id == id);
        var summary = (await NamedAsync(db, [await Summaries(query).FirstOrDefaultAsync(ct) ?? throw new NotFoundException($"Launch run {id} not found.")], ct))[0];
        var extra = await query.Select(r => new { r.ConfigJson, r.OutputTail }).FirstAsync(ct);
        return new LaunchRunDetail(summary, JsonNode.Parse(extra.ConfigJson), extra.OutputTail);
    }

    /// <summary>Queues a run by hand; the configuration given is merged over the version's defaults.</summary>
    public async Task<LaunchRunSummary> LaunchAsync(Actor actor, string team, string queue, LaunchRequest request, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var access = await TeamService.GetAccessAsync(db, actor, team, ct);
        var queueId = await db.LaunchQueues.Where(q => q.TeamId == access.TeamId && q.Name == queue).Select(q => (int?)q.Id).FirstOrDefaultAsync(ct)
            ?? throw new NotFoundException($"Queue '{queue}' not found.");
        var version = await ResolveVersionAsync(db.LaunchJobVersions.Where(v => v.Job.TeamId == access.TeamId && v.Job.Name == request.Job), request.Version, ct) ?? throw new InputException(
            request.Version is null ? "job" : "version", request.Version is null ? $"The team has no job '{request.Job}'." : $"Job '{request.Job}' has no version v{request.Version}.");
        var projectId = await db.Projects.Where(p => p.TeamId == access.TeamId && p.Name == request.Project).Select(p => (int?)p.Id).FirstOrDefaultAsync(ct)
            ?? throw new InputException("project", $"The team has no project '{request.Project}'.");
        var config = TextRules.Decoded(() => ConfigMerge.Merge(ParseObject(version.DefaultConfigJson), request.Config ?? []).ToJsonString(Compact), "config");
        if (config.Length > MaxConfigBytes)
        {
            throw new InputException("config", $"The configuration must be at most {MaxConfigBytes / 1024} KB.");
        }

        var now = clock.GetUtcNow();
        var run = new LaunchRun
        {
            TeamId = access.TeamId, QueueId = queueId, JobVersionId = version.Id, ProjectId = projectId, ConfigJson = config,
            Status = LaunchRunStatus.Queued, CreatedAt = now, UpdatedAt = now, CreatedBy = actor.UserName,
        };
        db.LaunchRuns.Add(run);
        await db.SaveThenRecordAsync(() => db.Record(clock, actor, access.TeamId, AuditActions.LaunchStarted, AuditTarget.Of(AuditTargets.LaunchRun, run.Id, $"{request.Job} v{version.Number}"),
            new { queue, project = request.Project, job = request.Job, version = version.Number }), ct);

        return await Summaries(db.LaunchRuns.Where(r => r.Id == run.Id)).FirstAsync(ct);
    }

    /// <summary>
    /// A queued run is cancelled at once; a claimed or running one is marked, and its agent stops the process
    /// and reports Cancelled on its next heartbeat or output report.
    /// </summary>
    public async Task<LaunchRunSummary> CancelAsync(Actor actor, string team, long id, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var access = await TeamService.GetAccessAsync(db, actor, team, ct);
        var now = clock.GetUtcNow();
        await using (var tx = await db.BeginWriteTransactionAsync(ct))
        {
            await db.LockAsync(RunLock(id), ct);
            var run = await db.LaunchRuns.FirstOrDefaultAsync(r => r.TeamId == access.TeamId && r.Id == id, ct)
                ?? throw new NotFoundException($"Launch run {id} not found.");
            switch (run.Status)
            {
                case LaunchRunStatus.Queued:
                    (run.Status, run.EndedAt, run.Error) = (LaunchRunStatus.Cancelled, now, $"Cancelled by {actor.UserName} before an agent claimed it.");
                    break;
                case LaunchRunStatus.Claimed or LaunchRunStatus.Running:
                    run.CancelRequested = true;
                    break;
                default:
                    throw new ConflictException("status", $"Launch run {id} has already ended ({run.Status}).");
            }

            run.UpdatedAt = now;
            db.Record(clock, actor, access.TeamId, AuditActions.LaunchCancelled, AuditTarget.Of(AuditTargets.LaunchRun, run.Id, null), new { status = run.Status.ToString(), run.CancelRequested });
            await db.SaveChangesAsync(ct);
            await tx.CommitAsync(ct);
        }

        return await Summaries(db.LaunchRuns.Where(r => r.Id == id)).FirstAsync(ct);
    }
}
