using Automations.Data;
using Automations.Features.Audit;
using Automations.Features.Artifacts;
using Automations.Features.Teams;
using Automations.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using static Automations.Features.Launch.LaunchRules;

namespace Automations.Features.Launch;

/// <summary>Queues that agents poll. Admins create and delete them; members see them with their runs and agents.</summary>
public sealed class QueueService(
    IDbContextFactory<AppDbContext> dbFactory,
    IOptionsMonitor<LaunchOptions> options,
    TimeProvider clock)
{
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
        db.Record(clock, actor, access.TeamId, AuditActions.QueueCreated, AuditTarget.Of(AuditTargets.Queue, name, name), new { resourceType });
        await SaveUniqueAsync(db, "name", $"A queue named '{name}' already exists in this team.", ct);
        return await GetQueueAsync(actor, team, name, ct);
    }

    /// <summary>Refused while runs are queued or running on it; its finished runs and its agents go with it.</summary>
    public async Task DeleteQueueAsync(Actor actor, string team, string queue, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var access = await TeamService.RequireAdminAsync(db, actor, team, ct);
        await using var tx = await db.BeginWriteTransactionAsync(ct);
        var id = await db.LaunchQueues.Where(q => q.TeamId == access.TeamId && q.Name == queue).Select(q => (int?)q.Id).FirstOrDefaultAsync(ct);
        if (id is not null && !db.Database.IsSqlite())
        {
            // A launch being added holds a key-share lock on its queue's row (its foreign key): this waits for it and then
            // counts it, and a launch added later waits for this and finds no queue. (SQLite: the write lock is enough.)
            await db.Database.ExecuteSqlAsync($"SELECT 1 FROM \"LaunchQueues\" WHERE \"Id\" = {id} FOR UPDATE", ct);
        }

        // Read under the lock: a queue deleted meanwhile (another admin, another instance) is not found, not a 500.
        var row = await db.LaunchQueues.FirstOrDefaultAsync(q => q.Id == id, ct) ?? throw new NotFoundException($"Queue '{queue}' not found.");

        var active = await db.LaunchRuns.Where(LaunchRun.IsActive).CountAsync(r => r.QueueId == row.Id, ct);
        if (active > 0)
        {
            throw new ConflictException("name", $"Queue '{queue}' has {active} queued or running run(s): cancel them or wait until they end.");
        }

        // Its agent keys are revoked, not deleted with it: their owners still see them, revoked, and the log says why.
        var keys = await db.ApiKeys.Where(k => k.QueueId == row.Id).ToListAsync(ct);
        var revoked = keys.Count(k => k.RevokedAt is null);
        foreach (var key in keys)
        {
            ApiKeys.ApiKeyService.Revoke(db, clock, actor, key, [access.TeamId], $"its queue '{row.Name}' was deleted");
            key.QueueId = null;
        }

        // The keys' queue is cleared before the queue is removed, so the database's cascade no longer reaches them.
        db.ChangeTracker.DetectChanges();
        db.LaunchQueues.Remove(row);
        db.Record(clock, actor, access.TeamId, AuditActions.QueueDeleted, AuditTarget.Of(AuditTargets.Queue, row.Name, row.Name),
            keys.Count == 0 ? null : new { agentKeysRevoked = revoked });
        await db.SaveChangesAsync(ct);
        await tx.CommitAsync(ct);
    }

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
}
