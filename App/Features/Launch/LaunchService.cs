using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Automations.Data;
using Automations.Features.Artifacts;
using Automations.Features.Automations;
using Automations.Features.Dispatch;
using Automations.Features.Secrets;
using Automations.Features.Teams;
using Automations.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

using Automations.Infrastructure.Telemetry;

namespace Automations.Features.Launch;

/// <summary>
/// Jobs, queues, launch runs and the agents that claim them. Admins manage jobs and queues; members see
/// them, launch, and cancel runs; agents act with an admin's API key.
/// </summary>
public sealed class LaunchService(
    IDbContextFactory<AppDbContext> dbFactory,
    SecretService secrets,
    IOptionsMonitor<LaunchOptions> options,
    TimeProvider clock,
    EngineMetrics metrics,
    ILogger<LaunchService> logger)
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

    // ---- Jobs ----

    public async Task<IReadOnlyList<JobSummary>> ListJobsAsync(Actor actor, string team, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var access = await TeamService.GetAccessAsync(db, actor, team, ct);
        return await JobSummaries(db, access.TeamId, null).ToListAsync(ct);
    }

    public async Task<JobDetail> GetJobAsync(Actor actor, string team, string job, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var access = await TeamService.GetAccessAsync(db, actor, team, ct);
        var summary = await JobSummaries(db, access.TeamId, job).FirstOrDefaultAsync(ct)
            ?? throw new NotFoundException($"Job '{job}' not found.");
        var versions = await db.LaunchJobVersions.Where(v => v.JobId == summary.Id).OrderByDescending(v => v.Number).ToListAsync(ct);
        return new JobDetail(summary, versions.Select(View).ToList());
    }

    public async Task<JobDetail> CreateJobAsync(Actor actor, string team, JobInput input, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var access = await TeamService.RequireAdminAsync(db, actor, team, ct);
        var name = ArtifactRules.Name(input.Name, "name", "Job");
        var description = ArtifactRules.Description(input.Description);
        if (await db.LaunchJobs.AnyAsync(j => j.TeamId == access.TeamId && j.Name == name, ct))
        {
            throw new ConflictException("name", $"A job named '{name}' already exists in this team.");
        }

        var now = clock.GetUtcNow();
        var version = await NewVersionAsync(db, access.TeamId, input.Version, actor, now, "version.", ct);
        version.Number = 0;
        db.LaunchJobs.Add(new LaunchJob { TeamId = access.TeamId, Name = name, Description = description, CreatedAt = now, CreatedBy = actor.UserName, Versions = [version] });
        await SaveUniqueAsync(db, "name", $"A job named '{name}' already exists in this team.", ct);
        return await GetJobAsync(actor, team, name, ct);
    }

    /// <summary>Versions are added, never edited: a run always says exactly what it ran.</summary>
    public async Task<JobVersionView> AddVersionAsync(Actor actor, string team, string job, JobVersionInput input, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var access = await TeamService.RequireAdminAsync(db, actor, team, ct);
        var jobId = await db.LaunchJobs.Where(j => j.TeamId == access.TeamId && j.Name == job).Select(j => (int?)j.Id).FirstOrDefaultAsync(ct)
            ?? throw new NotFoundException($"Job '{job}' not found.");
        var version = await NewVersionAsync(db, access.TeamId, input, actor, clock.GetUtcNow(), "", ct);
        version.JobId = jobId;
        await using var tx = await db.BeginWriteTransactionAsync(ct);
        await db.LockAsync($"launch-job:{jobId}", ct);
        version.Number = (await db.LaunchJobVersions.Where(v => v.JobId == jobId).MaxAsync(v => (int?)v.Number, ct) ?? -1) + 1;
        db.LaunchJobVersions.Add(version);
        await db.SaveChangesAsync(ct);
        await tx.CommitAsync(ct);
        return View(version);
    }

    /// <summary>Refused while runs of the job are queued or running; automations using it show as broken.</summary>
    public async Task DeleteJobAsync(Actor actor, string team, string job, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var access = await TeamService.RequireAdminAsync(db, actor, team, ct);
        var row = await db.LaunchJobs.FirstOrDefaultAsync(j => j.TeamId == access.TeamId && j.Name == job, ct)
            ?? throw new NotFoundException($"Job '{job}' not found.");
        var active = await db.LaunchRuns.Where(LaunchRun.IsActive).CountAsync(r => r.JobVersion.JobId == row.Id, ct);
        if (active > 0)
        {
            throw new ConflictException("name", $"Job '{job}' has {active} queued or running run(s): cancel them or wait until they end.");
        }

        db.LaunchJobs.Remove(row);
        await db.SaveChangesAsync(ct);
    }

    // ---- Queues ----

    public async Task<IReadOnlyList<QueueSummary>> ListQueuesAsync(Actor actor, string team, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var access = await TeamService.GetAccessAsync(db, actor, team, ct);
        return await QueueSummariesAsync(db, access.TeamId, null, ct);
    }

    public async Task<QueueSummary> GetQueueAsync(Actor actor, string team, string queue, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var access = await TeamService.GetAccessAsync(db, actor, team, ct);
        return (await QueueSummariesAsync(db, access.TeamId, queue, ct)).FirstOrDefault() ?? throw new NotFoundException($"Queue '{queue}' not found.");
    }

    public async Task<QueueSummary> CreateQueueAsync(Actor actor, string team, QueueInput input, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var access = await TeamService.RequireAdminAsync(db, actor, team, ct);
        var name = ArtifactRules.Name(input.Name, "name", "Queue");
        var resourceType = string.IsNullOrWhiteSpace(input.ResourceType) ? ResourceTypes.LocalProcess : input.ResourceType.Trim();
        if (!ResourceTypes.All.Contains(resourceType))
        {
            throw new InputException("resourceType", $"Resource type must be one of: {string.Join(", ", ResourceTypes.All)}.");
        }

        var settings = TextRules.Decoded(() => (input.Settings ?? []).ToJsonString(Compact), "settings");
        if (settings.Length > MaxConfigBytes)
        {
            throw new InputException("settings", $"Queue settings must be at most {MaxConfigBytes / 1024} KB.");
        }

        if (await db.LaunchQueues.AnyAsync(q => q.TeamId == access.TeamId && q.Name == name, ct))
        {
            throw new ConflictException("name", $"A queue named '{name}' already exists in this team.");
        }

        db.LaunchQueues.Add(new LaunchQueue
        {
            TeamId = access.TeamId,
            Name = name,
            Description = ArtifactRules.Description(input.Description),
            ResourceType = resourceType,
            SettingsJson = settings,
            CreatedAt = clock.GetUtcNow(),
            CreatedBy = actor.UserName,
        });
        await SaveUniqueAsync(db, "name", $"A queue named '{name}' already exists in this team.", ct);
        return await GetQueueAsync(actor, team, name, ct);
    }

    /// <summary>Refused while runs are queued or running on it; its finished runs and its agents go with it.</summary>
    public async Task DeleteQueueAsync(Actor actor, string team, string queue, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var access = await TeamService.RequireAdminAsync(db, actor, team, ct);
        var row = await db.LaunchQueues.FirstOrDefaultAsync(q => q.TeamId == access.TeamId && q.Name == queue, ct)
            ?? throw new NotFoundException($"Queue '{queue}' not found.");
        var active = await db.LaunchRuns.Where(LaunchRun.IsActive).CountAsync(r => r.QueueId == row.Id, ct);
        if (active > 0)
        {
            throw new ConflictException("name", $"Queue '{queue}' has {active} queued or running run(s): cancel them or wait until they end.");
        }

        db.LaunchQueues.Remove(row);
        await db.SaveChangesAsync(ct);
    }

    // ---- Runs ----

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

        return await query.OrderByDescending(r => r.Id).PageAsync(paging, Summaries, ct);
    }

    public async Task<LaunchRunDetail> GetRunAsync(Actor actor, string team, long id, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var access = await TeamService.GetAccessAsync(db, actor, team, ct);
        var query = db.LaunchRuns.Where(r => r.TeamId == access.TeamId && r.Id == id);
        var summary = await Summaries(query).FirstOrDefaultAsync(ct) ?? throw new NotFoundException($"Launch run {id} not found.");
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
        await using (var tx = await db.BeginWriteTransactionAsync(ct))
        {
            await db.SaveChangesAsync(ct);
            await tx.CommitAsync(ct);
        }

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
            await db.SaveChangesAsync(ct);
            await tx.CommitAsync(ct);
        }

        return await Summaries(db.LaunchRuns.Where(r => r.Id == id)).FirstAsync(ct);
    }

    /// <summary>Overrides are a JSON object template: variables allowed, secrets not.</summary>
    public static IReadOnlyList<string> OverrideErrors(string? template)
    {
        if (string.IsNullOrWhiteSpace(template))
        {
            return [];
        }

        var errors = PayloadTemplate.Validate(template, [], allowSecrets: false);
        if (errors.Count == 0 && JsonNode.Parse(template) is not JsonObject)
        {
            return ["The overrides must be a JSON object, e.g. {\"learning_rate\": 0.01}."];
        }

        return errors;
    }

    // ---- Agents ----

    public async Task<IReadOnlyList<AgentSummary>> ListAgentsAsync(Actor actor, string team, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var access = await TeamService.GetAccessAsync(db, actor, team, ct);
        var onlineSince = clock.GetUtcNow() - options.CurrentValue.AgentTimeout;
        return await db.LaunchAgents.Where(a => a.TeamId == access.TeamId)
            .OrderByDescending(a => a.LastHeartbeatAt)
            .Select(a => new AgentSummary(a.Id, a.Name, a.Queue.Name, a.Version, a.RegisteredBy, a.RegisteredAt, a.LastHeartbeatAt,
                a.StoppedAt == null && a.LastHeartbeatAt >= onlineSince,
                db.LaunchRuns.Where(r => r.AgentId == a.Id && (r.Status == LaunchRunStatus.Claimed || r.Status == LaunchRunStatus.Running))
                    .Select(r => (long?)r.Id).FirstOrDefault()))
            .ToListAsync(ct);
    }

    public async Task<AgentRegistered> RegisterAgentAsync(Actor actor, string team, AgentRegistration registration, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var access = await RequireAgentAsync(db, actor, team, ct);
        var queue = await db.LaunchQueues.Where(q => q.TeamId == access.TeamId && q.Name == registration.Queue).Select(q => new { q.Id, q.Name }).FirstOrDefaultAsync(ct)
            ?? throw new NotFoundException($"Queue '{registration.Queue}' not found.");
        var name = string.IsNullOrWhiteSpace(registration.Name) ? $"agent-{Guid.NewGuid():N}"[..14] : TextRules.Require(registration.Name, "name", multiline: false)!.Trim();
        if (name.Length > MaxNameLength)
        {
            throw new InputException("name", $"Agent name must be at most {MaxNameLength} characters.");
        }

        var now = clock.GetUtcNow();
        var agent = new LaunchAgent
        {
            TeamId = access.TeamId, QueueId = queue.Id, Name = name, Version = (registration.Version ?? "").Trim() is { Length: <= 64 } v ? v : "",
            RegisteredBy = actor.UserName, RegisteredAt = now, LastHeartbeatAt = now,
        };
        db.LaunchAgents.Add(agent);
        await using (var tx = await db.BeginWriteTransactionAsync(ct))
        {
            await db.SaveChangesAsync(ct);
            await tx.CommitAsync(ct);
        }

        logger.LogInformation("Agent {AgentId} ({Name}) registered on queue {Queue} of team {Team}", agent.Id, name, queue.Name, team);
        var settings = options.CurrentValue;
        return new AgentRegistered(agent.Id, queue.Name, (int)Math.Max(1, settings.HeartbeatInterval.TotalSeconds), (int)Math.Max(1, settings.PollInterval.TotalSeconds),
            (int)Math.Max(1, settings.AgentTimeout.TotalSeconds));
    }

    /// <summary>Keeps the agent online; the reply names the runs it holds that someone asked to cancel.</summary>
    public async Task<HeartbeatReply> HeartbeatAsync(Actor actor, string team, int agentId, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var access = await RequireAgentAsync(db, actor, team, ct);
        await using (var tx = await db.BeginWriteTransactionAsync(ct))
        {
            var touched = await db.LaunchAgents.Where(a => a.Id == agentId && a.TeamId == access.TeamId)
                .ExecuteUpdateAsync(s => s.SetProperty(a => a.LastHeartbeatAt, clock.GetUtcNow()).SetProperty(a => a.StoppedAt, (DateTimeOffset?)null), ct);
            await tx.CommitAsync(ct);
            if (touched == 0)
            {
                throw new NotFoundException($"Agent {agentId} not found.");
            }
        }

        var cancel = await db.LaunchRuns.Where(LaunchRun.IsHeld).Where(r => r.AgentId == agentId && r.CancelRequested)
            .Select(r => r.Id).ToListAsync(ct);
        return new HeartbeatReply(cancel);
    }

    /// <summary>An agent that stops cleanly says so: it is offline at once instead of after the timeout.</summary>
    public async Task StopAgentAsync(Actor actor, string team, int agentId, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var access = await RequireAgentAsync(db, actor, team, ct);
        var stopped = await db.WriteStatementAsync(() => db.LaunchAgents.Where(a => a.Id == agentId && a.TeamId == access.TeamId)
            .ExecuteUpdateAsync(s => s.SetProperty(a => a.StoppedAt, clock.GetUtcNow()), ct), ct);
        if (stopped == 0)
        {
            throw new NotFoundException($"Agent {agentId} not found.");
        }
    }

    /// <summary>
    /// Gives the agent the oldest queued run of the queue, or null. The claim is a conditional update
    /// (status still Queued), so two agents never get the same run, whatever the database.
    /// A claim whose answer is lost (connection dropped, server killed after the commit) leaves the run Claimed by an
    /// agent that never heard of it: <see cref="RequeueLostRunsAsync"/> gives it back after <see cref="LaunchOptions.ClaimTimeout"/>.
    /// </summary>
    public async Task<ClaimedRun?> ClaimAsync(Actor actor, string team, string queue, int agentId, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var access = await RequireAgentAsync(db, actor, team, ct);
        var queueId = await db.LaunchQueues.Where(q => q.TeamId == access.TeamId && q.Name == queue).Select(q => (int?)q.Id).FirstOrDefaultAsync(ct)
            ?? throw new NotFoundException($"Queue '{queue}' not found.");
        if (!await db.LaunchAgents.AnyAsync(a => a.Id == agentId && a.TeamId == access.TeamId, ct))
        {
            throw new NotFoundException($"Agent {agentId} not found.");
        }

        while (true)
        {
            var now = clock.GetUtcNow();
            var next = await TakeNextQueuedAsync(db, queueId, agentId, now, ct);
            if (next is not { } claimed)
            {
                return null;
            }

            var run = await db.LaunchRuns.AsNoTracking().Where(r => r.Id == claimed)
                .Select(r => new { r.Id, Queue = r.Queue.Name, Project = r.Project.Name, Job = r.JobVersion.Job.Name, r.JobVersion, r.ConfigJson, r.AutomationId, r.EventId, r.CreatedAt })
                .FirstAsync(ct);
            metrics.LaunchRunClaimed(now - run.CreatedAt);
            var (environment, missing) = await ResolveEnvironmentAsync(run.JobVersion.EnvironmentJson, access.TeamId, ct);
            if (missing is not null)
            {
                await FinishAsync(db, claimed, LaunchRunStatus.Failed, null, missing, ct);
                continue;
            }

            logger.LogInformation("Agent {AgentId} claimed launch run {RunId}", agentId, claimed);
            return new ClaimedRun(run.Id, access.Slug, run.Queue, run.Project, run.Job, run.JobVersion.Number, run.JobVersion.Program,
                JsonSerializer.Deserialize<List<string>>(run.JobVersion.ArgumentsJson) ?? [], run.JobVersion.WorkingDirectory, environment,
                JsonNode.Parse(run.ConfigJson)!, run.AutomationId, run.EventId);
        }
    }

    /// <summary>The oldest queued run, taken by a conditional update; null when the queue is empty.</summary>
    private static async Task<long?> TakeNextQueuedAsync(AppDbContext db, int queueId, int agentId, DateTimeOffset now, CancellationToken ct)
    {
        while (true)
        {
            await using var tx = await db.BeginWriteTransactionAsync(ct);
            await db.LaunchAgents.Where(a => a.Id == agentId).ExecuteUpdateAsync(s => s.SetProperty(a => a.LastHeartbeatAt, now), ct);
            var candidate = await db.LaunchRuns.Where(r => r.QueueId == queueId && r.Status == LaunchRunStatus.Queued)
                .OrderBy(r => r.Id).Select(r => (long?)r.Id).FirstOrDefaultAsync(ct);
            if (candidate is null)
            {
                await tx.CommitAsync(ct);
                return null;
            }

            var won = await db.LaunchRuns.Where(r => r.Id == candidate && r.Status == LaunchRunStatus.Queued)
                .ExecuteUpdateAsync(s => s
                    .SetProperty(r => r.Status, LaunchRunStatus.Claimed)
                    .SetProperty(r => r.AgentId, agentId)
                    .SetProperty(r => r.ClaimedAt, now)
                    .SetProperty(r => r.UpdatedAt, now), ct);
            await tx.CommitAsync(ct);
            if (won == 1)
            {
                return candidate;
            }
        }
    }

    /// <summary>
    /// Claimed → Running → Finished / Failed / Cancelled, reported by the agent holding the run. A run that
    /// went back to its queue (its agent was silent too long) no longer belongs to the agent: 409.
    /// </summary>
    public async Task<LaunchRunSummary> ReportStatusAsync(Actor actor, string team, long runId, StatusReport report, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var access = await RequireAgentAsync(db, actor, team, ct);
        var now = clock.GetUtcNow();
        await using (var tx = await db.BeginWriteTransactionAsync(ct))
        {
            await db.LockAsync(RunLock(runId), ct);
            var run = await HeldRunAsync(db, access.TeamId, runId, report.AgentId, ct);
            switch (report.Status)
            {
                case LaunchRunStatus.Running when run.Status == LaunchRunStatus.Claimed:
                    (run.Status, run.StartedAt) = (LaunchRunStatus.Running, now);
                    break;
                case LaunchRunStatus.Running:
                    break;
                case LaunchRunStatus.Finished or LaunchRunStatus.Failed or LaunchRunStatus.Cancelled:
                    (run.Status, run.ExitCode, run.EndedAt) = (report.Status, report.ExitCode, now);
                    run.StartedAt ??= now;
                    run.Error = report.Error is { Length: > 2000 } e ? e[..2000] : report.Error;
                    break;
                default:
                    throw new InputException("status", "An agent reports Running, Finished, Failed or Cancelled.");
            }

            run.UpdatedAt = now;
            await db.SaveChangesAsync(ct);
            await db.LaunchAgents.Where(a => a.Id == report.AgentId).ExecuteUpdateAsync(s => s.SetProperty(a => a.LastHeartbeatAt, now), ct);
            await tx.CommitAsync(ct);
        }

        return await Summaries(db.LaunchRuns.Where(r => r.Id == runId)).FirstAsync(ct);
    }

    /// <summary>Appends to the run's output tail (the newest <see cref="MaxOutputChars"/> characters), secrets of its environment redacted.</summary>
    public async Task<OutputReply> AppendOutputAsync(Actor actor, string team, long runId, OutputChunk chunk, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var access = await RequireAgentAsync(db, actor, team, ct);
        var environmentJson = await db.LaunchRuns.Where(r => r.Id == runId && r.TeamId == access.TeamId).Select(r => r.JobVersion.EnvironmentJson).FirstOrDefaultAsync(ct)
            ?? throw new NotFoundException($"Launch run {runId} not found.");
        // Program output is whatever the job printed: kept, but made storable (no NUL, no lone surrogate).
        var text = TextRules.Sanitize((chunk.Text ?? "").Replace('\0', '\uFFFD'));
        if (SecretReferences.HasReferences(environmentJson))
        {
            var values = await secrets.GetValuesAsync(access.TeamId, ct);
            text = new SecretRedactor(SecretReferences.Names(environmentJson).Select(values.GetValueOrDefault)).Redact(text);
        }

        await using var tx = await db.BeginWriteTransactionAsync(ct);
        await db.LockAsync(RunLock(runId), ct);
        var run = await HeldRunAsync(db, access.TeamId, runId, chunk.AgentId, ct);
        var tail = run.OutputTail + text;
        run.OutputTail = tail.Length > MaxOutputChars ? tail[^MaxOutputChars..] : tail;
        run.UpdatedAt = clock.GetUtcNow();
        await db.SaveChangesAsync(ct);
        await tx.CommitAsync(ct);
        return new OutputReply(run.CancelRequested);
    }

    /// <summary>
    /// Runs held by an agent that stopped heartbeating go back to their queue (or fail after
    /// <see cref="LaunchOptions.MaxRequeues"/> returns; a run someone asked to cancel is cancelled).
    /// </summary>
    public async Task<int> RequeueLostRunsAsync(CancellationToken ct = default)
    {
        var settings = options.CurrentValue;
        var now = clock.GetUtcNow();
        var silentSince = now - settings.AgentTimeout;
        var unstartedSince = now - settings.ClaimTimeout;
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        await using var tx = await db.BeginWriteTransactionAsync(ct);
        // One sweep at a time across instances; a run's own reports take turns with it through the run's lock.
        if (!await db.TryLockAsync("launch-sweep", ct))
        {
            return 0;
        }

        var lostRuns = db.LaunchRuns.Include(r => r.Agent).Where(LaunchRun.IsHeld)
            .Where(r => (r.Agent == null || r.Agent.LastHeartbeatAt < silentSince || r.Agent.StoppedAt != null
                            || r.Status == LaunchRunStatus.Claimed && r.ClaimedAt < unstartedSince));
        var candidates = await lostRuns.OrderBy(r => r.Id).Select(r => r.Id).ToListAsync(ct);
        foreach (var id in candidates)
        {
            await db.LockAsync(RunLock(id), ct);
        }

        // Read again under the locks: a report that landed in between is seen.
        var lost = await lostRuns.Where(r => candidates.Contains(r.Id)).ToListAsync(ct);
        foreach (var run in lost)
        {
            var agent = run.Agent is null ? "Its agent" : $"Agent '{run.Agent.Name}'";
            var alive = run.Agent is { StoppedAt: null } a && a.LastHeartbeatAt >= silentSince;
            if (alive && !run.CancelRequested)
            {
                // Its agent polls on but never started the run: the answer to the claim was lost. Not the run's fault.
                (run.Status, run.AgentId, run.ClaimedAt) = (LaunchRunStatus.Queued, null, null);
                run.Error = $"{agent} claimed the run but never started it within {settings.ClaimTimeout.TotalSeconds:F0} s (its answer was probably lost); the run went back to the queue.";
                run.UpdatedAt = now;
                continue;
            }

            if (run.CancelRequested)
            {
                (run.Status, run.EndedAt, run.Error) = (LaunchRunStatus.Cancelled, now, $"{agent} stopped responding; the run was cancelled.");
            }
            else if (run.Requeues >= settings.MaxRequeues)
            {
                (run.Status, run.EndedAt, run.Error) = (LaunchRunStatus.Failed, now, $"{agent} stopped responding and the run was already given back {run.Requeues} times.");
            }
            else
            {
                (run.Status, run.AgentId, run.ClaimedAt, run.StartedAt) = (LaunchRunStatus.Queued, null, null, null);
                run.Requeues++;
                run.Error = $"{agent} stopped heartbeating; the run went back to the queue.";
            }

            run.UpdatedAt = now;
        }

        await db.SaveChangesAsync(ct);
        await tx.CommitAsync(ct);
        if (lost.Count > 0)
        {
            logger.LogWarning("{Count} launch run(s) of silent agents went back to their queue or ended", lost.Count);
        }

        return lost.Count;
    }

    // ---- Helpers ----

    private static IQueryable<JobSummary> JobSummaries(AppDbContext db, int teamId, string? name) =>
        db.LaunchJobs.Where(j => j.TeamId == teamId && (name == null || j.Name == name)).OrderBy(j => j.Name).Select(j => new JobSummary(
            j.Id, j.Name, j.Description,
            j.Versions.Max(v => (int?)v.Number) ?? 0,
            j.Versions.Count,
            db.Automations.Count(a => a.JobId == j.Id && a.DeletedAt == null),
            j.CreatedAt, j.CreatedBy));

    private async Task<List<QueueSummary>> QueueSummariesAsync(AppDbContext db, int teamId, string? name, CancellationToken ct)
    {
        var onlineSince = clock.GetUtcNow() - options.CurrentValue.AgentTimeout;
        var query = db.LaunchQueues.Where(q => q.TeamId == teamId);
        if (name is not null)
        {
            query = query.Where(q => q.Name == name);
        }

        var rows = await query.OrderBy(q => q.Name).Select(q => new
        {
            q.Id, q.Name, q.Description, q.ResourceType, q.SettingsJson, q.CreatedAt, q.CreatedBy,
            Queued = db.LaunchRuns.Count(r => r.QueueId == q.Id && r.Status == LaunchRunStatus.Queued),
            Active = db.LaunchRuns.Count(r => r.QueueId == q.Id && (r.Status == LaunchRunStatus.Claimed || r.Status == LaunchRunStatus.Running)),
            Online = db.LaunchAgents.Count(a => a.QueueId == q.Id && a.StoppedAt == null && a.LastHeartbeatAt >= onlineSince),
            Used = db.Automations.Count(a => a.QueueId == q.Id && a.DeletedAt == null),
        }).ToListAsync(ct);
        return rows.Select(q => new QueueSummary(q.Id, q.Name, q.Description, q.ResourceType, ParseObject(q.SettingsJson), q.Queued, q.Active, q.Online, q.Used, q.CreatedAt, q.CreatedBy)).ToList();
    }

    private static IQueryable<LaunchRunSummary> Summaries(IQueryable<LaunchRun> runs) =>
        runs.Select(r => new LaunchRunSummary(
            r.Id, r.Queue.Name, r.JobVersion.Job.Name, r.JobVersion.Number, r.Project.Name, r.Status,
            r.Agent == null ? null : r.Agent.Name, r.ExitCode, r.Error, r.AutomationId, r.AutomationRunId, r.EventId,
            r.CancelRequested, r.Requeues, r.CreatedAt, r.CreatedBy, r.ClaimedAt, r.StartedAt, r.EndedAt));

    private static JobVersionView View(LaunchJobVersion v) => new(
        v.Number, v.Program, JsonSerializer.Deserialize<List<string>>(v.ArgumentsJson) ?? [], v.WorkingDirectory,
        JsonSerializer.Deserialize<Dictionary<string, string>>(v.EnvironmentJson) ?? [], ParseObject(v.DefaultConfigJson), v.Notes, v.CreatedAt, v.CreatedBy);

    internal static JsonObject ParseObject(string json) => JsonNode.Parse(json) as JsonObject ?? [];

    /// <summary>Of one job's versions, the one to run: the given number, or the latest at this moment.</summary>
    internal static Task<LaunchJobVersion?> ResolveVersionAsync(IQueryable<LaunchJobVersion> versionsOfJob, int? number, CancellationToken ct) =>
        versionsOfJob.Where(v => number == null || v.Number == number).OrderByDescending(v => v.Number).FirstOrDefaultAsync(ct);

    /// <summary>The first ${NAME} in <paramref name="value"/> that names no secret, or null.</summary>
    private static string? MissingSecret(string value, Func<string, bool> exists) =>
        SecretReferences.Names(value).FirstOrDefault(n => !exists(n));

    private async Task<LaunchJobVersion> NewVersionAsync(AppDbContext db, int teamId, JobVersionInput? input, Actor actor, DateTimeOffset now, string prefix, CancellationToken ct)
    {
        if (input is null)
        {
            throw new InputException(prefix + "program", "A job needs its first version: the program to run.");
        }

        var program = (input.Program ?? "").Trim();
        if (program.Length is 0 or > MaxProgramLength || program.Contains('\0'))
        {
            throw new InputException(prefix + "program", $"Program is required (at most {MaxProgramLength} characters), e.g. python or /usr/bin/env.");
        }

        var arguments = input.Arguments ?? [];
        if (arguments.Count > MaxArguments || arguments.Any(a => a is null || a.Length > MaxValueLength || a.Contains('\0')))
        {
            throw new InputException(prefix + "arguments", $"At most {MaxArguments} arguments of at most {MaxValueLength} characters each.");
        }

        var workingDirectory = string.IsNullOrWhiteSpace(input.WorkingDirectory) ? null : input.WorkingDirectory.Trim();
        if (workingDirectory is { Length: > MaxProgramLength })
        {
            throw new InputException(prefix + "workingDirectory", $"Working directory must be at most {MaxProgramLength} characters.");
        }

        var environment = input.Environment ?? new Dictionary<string, string>();
        if (environment.Count > MaxEnvironmentVariables)
        {
            throw new InputException(prefix + "environment", $"At most {MaxEnvironmentVariables} environment variables.");
        }

        var secretNames = (await db.TeamSecrets.Where(s => s.TeamId == teamId).Select(s => s.Name).ToListAsync(ct)).ToHashSet(StringComparer.Ordinal);
        foreach (var (key, value) in environment)
        {
            var field = $"{prefix}environment.{key}";
            if (key is null || !SecretReferences.IsValidName(key))
            {
                throw new InputException(field, $"Environment variable name '{key}' is invalid: use letters, digits and '_', not starting with a digit.");
            }
            if (key.StartsWith(ReservedEnvironmentPrefix, StringComparison.OrdinalIgnoreCase))
            {
                throw new InputException(field, $"Names starting with {ReservedEnvironmentPrefix} are set by the agent for every run.");
            }
            if (value is null || value.Length > MaxValueLength || value.Contains('\0'))
            {
                throw new InputException(field, $"The value of {key} must be at most {MaxValueLength} characters.");
            }
            if (MissingSecret(value, secretNames.Contains) is { } missing)
            {
                throw new InputException(field, $"{key} references ${{{missing}}}, which is not a secret of this team.");
            }
        }

        var defaults = TextRules.Decoded(() => (input.DefaultConfig ?? []).ToJsonString(Compact), prefix + "defaultConfig");
        if (Encoding.UTF8.GetByteCount(defaults) > MaxConfigBytes)
        {
            throw new InputException(prefix + "defaultConfig", $"The default configuration must be at most {MaxConfigBytes / 1024} KB.");
        }

        return new LaunchJobVersion
        {
            Program = program,
            ArgumentsJson = JsonSerializer.Serialize(arguments, Compact),
            WorkingDirectory = workingDirectory,
            EnvironmentJson = JsonSerializer.Serialize(environment, Compact),
            DefaultConfigJson = defaults,
            Notes = ArtifactRules.Description(input.Notes, prefix + "notes"),
            CreatedAt = now,
            CreatedBy = actor.UserName,
        };
    }

    private async Task<(IReadOnlyDictionary<string, string> Environment, string? Missing)> ResolveEnvironmentAsync(string environmentJson, int teamId, CancellationToken ct)
    {
        var environment = JsonSerializer.Deserialize<Dictionary<string, string>>(environmentJson) ?? [];
        if (!SecretReferences.HasReferences(environmentJson))
        {
            return (environment, null);
        }

        var values = await secrets.GetValuesAsync(teamId, ct);
        var resolved = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (key, value) in environment)
        {
            if (MissingSecret(value, values.ContainsKey) is { } missing)
            {
                return (resolved, $"Environment variable {key} references the secret {missing}, which no longer exists.");
            }

            resolved[key] = SecretReferences.Resolve(value, name => values[name]);
        }

        return (resolved, null);
    }

    private async Task FinishAsync(AppDbContext db, long runId, LaunchRunStatus status, int? exitCode, string error, CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        await using var tx = await db.BeginWriteTransactionAsync(ct);
        await db.LaunchRuns.Where(r => r.Id == runId).ExecuteUpdateAsync(s => s
            .SetProperty(r => r.Status, status).SetProperty(r => r.ExitCode, exitCode).SetProperty(r => r.Error, error)
            .SetProperty(r => r.EndedAt, now).SetProperty(r => r.UpdatedAt, now), ct);
        await tx.CommitAsync(ct);
    }

    /// <summary>
    /// Agents receive the secret values of a job's environment and run the team's commands, so, as with
    /// GitHub's self-hosted runners, only a team admin's key may act as one.
    /// </summary>
    private static async Task<TeamAccess> RequireAgentAsync(AppDbContext db, Actor actor, string team, CancellationToken ct)
    {
        var access = await TeamService.GetAccessAsync(db, actor, team, ct);
        return access.IsAdmin ? access : throw new ForbiddenException("Agents run with a team admin's API key: they receive the secrets of the jobs they run.");
    }

    private static string RunLock(long runId) => $"launch-run:{runId}";

    private static async Task<LaunchRun> HeldRunAsync(AppDbContext db, int teamId, long runId, int agentId, CancellationToken ct)
    {
        var run = await db.LaunchRuns.FirstOrDefaultAsync(r => r.Id == runId && r.TeamId == teamId, ct)
            ?? throw new NotFoundException($"Launch run {runId} not found.");
        if (run.AgentId != agentId || run.Status is not (LaunchRunStatus.Claimed or LaunchRunStatus.Running))
        {
            throw new ConflictException("agentId", $"Launch run {runId} is not held by agent {agentId} (it is {run.Status}): stop working on it.");
        }

        return run;
    }

    private static async Task SaveUniqueAsync(AppDbContext db, string field, string message, CancellationToken ct)
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
}
