using System.Text.Json;
using System.Text.Json.Nodes;
using Automations.Data;
using Automations.Features.Artifacts;
using Automations.Features.Audit;
using Automations.Features.Secrets;
using Automations.Features.Teams;
using Automations.Infrastructure;
using Automations.Infrastructure.Live;
using Automations.Infrastructure.Telemetry;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using static Automations.Features.Launch.LaunchRules;

namespace Automations.Features.Launch;

/// <summary>
/// The agent protocol: register, heartbeat, claim, report status and output, stop; and giving silent agents' runs back to their queues.
/// Agents act with an agent key of their queue (a team service key, or an admin's personal key limited to it) or an admin's key.
/// </summary>
public sealed class AgentService(
    IDbContextFactory<AppDbContext> dbFactory,
    SecretService secrets,
    IOptionsMonitor<LaunchOptions> options,
    TimeProvider clock,
    EngineMetrics metrics,
    ChangeFeed changes,
    ILogger<AgentService> logger)
{
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

    /// <summary>When the first of <paramref name="agents"/> shown online goes offline if no heartbeat comes first; null if none is online.</summary>
    public DateTimeOffset? FirstOfflineAt(IEnumerable<AgentSummary> agents) =>
        agents.Where(a => a.Online).Select(a => (DateTimeOffset?)(a.LastHeartbeatAt + options.CurrentValue.AgentTimeout)).Min();

    public async Task<AgentRegistered> RegisterAgentAsync(Actor actor, string team, AgentRegistration registration, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var access = await RequireAgentAsync(db, actor, team, ct);
        var queue = await db.LaunchQueues.Where(q => q.TeamId == access.TeamId && q.Name == registration.Queue).Select(q => new { q.Id, q.Name }).FirstOrDefaultAsync(ct)
            ?? throw new NotFoundException($"Queue '{registration.Queue}' not found.");
        RequireKeyQueue(actor, queue.Id, queue.Name);
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
        // An agent receives the job secrets of its queue's runs: who started one, where and with which key is recorded.
        await db.SaveThenRecordAsync(() => db.Record(clock, actor, access.TeamId, AuditActions.AgentRegistered,
            AuditTarget.Of(AuditTargets.Agent, agent.Id, name), new { queue = queue.Name, version = agent.Version }), ct);

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
            var touched = await AgentsOf(db, actor, access.TeamId).Where(a => a.Id == agentId)
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
        var stopped = await db.WriteStatementAsync(() => AgentsOf(db, actor, access.TeamId).Where(a => a.Id == agentId)
            .ExecuteUpdateAsync(s => s.SetProperty(a => a.StoppedAt, clock.GetUtcNow()), ct), ct);
        if (stopped == 0)
        {
            throw new NotFoundException($"Agent {agentId} not found.");
        }

        changes.Publish(new Change(ChangeKind.Agent, access.TeamId, agentId));
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
        RequireKeyQueue(actor, queueId, queue);
        if (!await AgentsOf(db, actor, access.TeamId).AnyAsync(a => a.Id == agentId, ct))
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

            changes.Publish([new Change(ChangeKind.LaunchRun, access.TeamId, claimed, QueueId: queueId), new Change(ChangeKind.Agent, access.TeamId, agentId, QueueId: queueId)]);

            var run = await db.LaunchRuns.AsNoTracking().Where(r => r.Id == claimed)
                .Select(r => new { r.Id, Queue = r.Queue.Name, Project = r.Project.Name, Job = r.JobVersion.Job.Name, r.JobVersion, r.ConfigJson, r.AutomationId, r.EventId, r.CreatedAt })
                .FirstAsync(ct);
            metrics.LaunchRunClaimed(now - run.CreatedAt);
            var (environment, missing) = await ResolveEnvironmentAsync(run.JobVersion.EnvironmentJson, access.TeamId, ct);
            if (missing is not null)
            {
                await FinishAsync(db, claimed, LaunchRunStatus.Failed, null, missing, ct);
                changes.Publish(new Change(ChangeKind.LaunchRun, access.TeamId, claimed, QueueId: queueId));
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
            var run = await HeldRunAsync(db, actor, access.TeamId, runId, report.AgentId, ct);
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
                    run.Error = TextRules.Cap(report.Error, 2000);
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
        var environmentJson = await RunsOf(db, actor, access.TeamId).Where(r => r.Id == runId).Select(r => r.JobVersion.EnvironmentJson).FirstOrDefaultAsync(ct)
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
        var run = await HeldRunAsync(db, actor, access.TeamId, runId, chunk.AgentId, ct);
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
    /// GitHub's self-hosted runners, only a team admin's key, or an agent key an admin made, may act as one.
    /// </summary>
    private static async Task<TeamAccess> RequireAgentAsync(AppDbContext db, Actor actor, string team, CancellationToken ct)
    {
        var access = await TeamService.GetAccessAsync(db, actor, team, ct);
        return access.IsAdmin ? access : throw new ForbiddenException(
            "Agents run with an agent key of their queue (Team Settings → Service keys) or a team admin's key: they receive the secrets of the jobs they run.");
    }

    /// <summary>The one queue an agent key serves; null when the caller is not limited to a queue.</summary>
    private static int? KeyQueue(Actor actor) => actor.Key is { Permission: KeyPermission.Agent } key ? key.QueueId ?? -1 : null;

    /// <summary>An agent key acts on its own queue only; naming another is refused outright (the caller chose it in the URL).</summary>
    private static void RequireKeyQueue(Actor actor, int queueId, string queueName)
    {
        if (KeyQueue(actor) is { } own && own != queueId)
        {
            throw new ForbiddenException($"This agent key serves another queue; it cannot act on queue '{queueName}'.");
        }
    }

    /// <summary>The team's agents the caller may act for: an agent key sees only its queue's, the rest do not exist for it.</summary>
    private static IQueryable<LaunchAgent> AgentsOf(AppDbContext db, Actor actor, int teamId)
    {
        var agents = db.LaunchAgents.Where(a => a.TeamId == teamId);
        return KeyQueue(actor) is { } queue ? agents.Where(a => a.QueueId == queue) : agents;
    }

    private static IQueryable<LaunchRun> RunsOf(AppDbContext db, Actor actor, int teamId)
    {
        var runs = db.LaunchRuns.Where(r => r.TeamId == teamId);
        return KeyQueue(actor) is { } queue ? runs.Where(r => r.QueueId == queue) : runs;
    }

    private static async Task<LaunchRun> HeldRunAsync(AppDbContext db, Actor actor, int teamId, long runId, int agentId, CancellationToken ct)
    {
        var run = await RunsOf(db, actor, teamId).FirstOrDefaultAsync(r => r.Id == runId, ct)
            ?? throw new NotFoundException($"Launch run {runId} not found.");
        if (run.AgentId != agentId || run.Status is not (LaunchRunStatus.Claimed or LaunchRunStatus.Running))
        {
            throw new ConflictException("agentId", $"Launch run {runId} is not held by agent {agentId} (it is {run.Status}): stop working on it.");
        }

        return run;
    }
}
