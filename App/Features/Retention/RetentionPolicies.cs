using Automations.Data;
using Automations.Features.Artifacts;
using Automations.Features.Dispatch;
using Automations.Features.Launch;
using Microsoft.EntityFrameworkCore;

namespace Automations.Features.Retention;

/// <summary>
/// Delivery attempts of finished runs (succeeded or failed), by when they were made. The run itself stays (see
/// <see cref="RunRetention"/>), showing its outcome without the wire detail. An unfinished run keeps every attempt.
/// </summary>
public sealed class AttemptRetention : IRetentionPolicy
{
    public string Kind => "Attempts";

    public int DefaultDays => 30;

    public async Task<int> PurgeBatchAsync(AppDbContext db, DateTimeOffset cutoff, int batchSize, CancellationToken ct)
    {
        var ids = await Removable(db, cutoff).OrderBy(a => a.StartedAt).Select(a => a.Id).Take(batchSize).ToListAsync(ct);
        return await db.DeleteAsync(ids, () => Removable(db, cutoff).Where(a => ids.Contains(a.Id)).ExecuteDeleteAsync(ct), ct);
    }

    private static IQueryable<DeliveryAttempt> Removable(AppDbContext db, DateTimeOffset cutoff) =>
        db.DeliveryAttempts.Where(a => a.StartedAt < cutoff
            && db.AutomationRuns.Any(r => r.Id == a.RunId && (r.Status == RunStatus.Succeeded || r.Status == RunStatus.Failed)));
}

/// <summary>
/// Finished runs (succeeded or failed) with whatever attempts they still have, by when they finished. A pending or
/// retrying run stays however old it is; a redelivered run counts from its new finish.
/// </summary>
public sealed class RunRetention : IRetentionPolicy
{
    public string Kind => "Runs";

    public int DefaultDays => 90;

    public async Task<int> PurgeBatchAsync(AppDbContext db, DateTimeOffset cutoff, int batchSize, CancellationToken ct)
    {
        var ids = await Removable(db, cutoff).OrderBy(r => r.CompletedAt).Select(r => r.Id).Take(batchSize).ToListAsync(ct);
        return await db.DeleteAsync(ids, async () =>
        {
            // The attempts first, by their run's index, rather than by the cascade: each statement's rows are the batch's own.
            var still = await Removable(db, cutoff).Where(r => ids.Contains(r.Id)).Select(r => r.Id).ToListAsync(ct);
            await db.DeliveryAttempts.Where(a => still.Contains(a.RunId)).ExecuteDeleteAsync(ct);
            return await db.AutomationRuns.Where(r => still.Contains(r.Id)).ExecuteDeleteAsync(ct);
        }, ct);
    }

    private static IQueryable<AutomationRun> Removable(AppDbContext db, DateTimeOffset cutoff) =>
        db.AutomationRuns.Where(r => r.CompletedAt < cutoff && (r.Status == RunStatus.Succeeded || r.Status == RunStatus.Failed));
}

/// <summary>Launch runs that are over (finished, failed, cancelled), their output with them, by when they ended. Queued, claimed and running runs stay.</summary>
public sealed class LaunchRunRetention : IRetentionPolicy
{
    public string Kind => "LaunchRuns";

    public int DefaultDays => 90;

    public async Task<int> PurgeBatchAsync(AppDbContext db, DateTimeOffset cutoff, int batchSize, CancellationToken ct)
    {
        var ids = await Removable(db, cutoff).OrderBy(r => r.EndedAt).Select(r => r.Id).Take(batchSize).ToListAsync(ct);
        return await db.DeleteAsync(ids, () => Removable(db, cutoff).Where(r => ids.Contains(r.Id)).ExecuteDeleteAsync(ct), ct);
    }

    private static IQueryable<LaunchRun> Removable(AppDbContext db, DateTimeOffset cutoff) =>
        db.LaunchRuns.Where(r => r.EndedAt < cutoff
            && (r.Status == LaunchRunStatus.Finished || r.Status == LaunchRunStatus.Failed || r.Status == LaunchRunStatus.Cancelled));
}

/// <summary>
/// Artifact events, by when they happened, once no run and no launch run refers to them any more: a run renders its
/// payload from its event, so an event lives at least as long as the runs it caused (the versions and aliases themselves
/// are the project's data and are never removed).
/// </summary>
public sealed class EventRetention : IRetentionPolicy
{
    public string Kind => "Events";

    public int DefaultDays => 365;

    public async Task<int> PurgeBatchAsync(AppDbContext db, DateTimeOffset cutoff, int batchSize, CancellationToken ct)
    {
        var ids = await Removable(db, cutoff).OrderBy(e => e.CreatedAt).Select(e => e.Id).Take(batchSize).ToListAsync(ct);
        return await db.DeleteAsync(ids, () => Removable(db, cutoff).Where(e => ids.Contains(e.Id)).ExecuteDeleteAsync(ct), ct);
    }

    private static IQueryable<ArtifactEvent> Removable(AppDbContext db, DateTimeOffset cutoff) =>
        db.ArtifactEvents.Where(e => e.CreatedAt < cutoff
            && !db.AutomationRuns.Any(r => r.EventId == e.Id)
            && !db.LaunchRuns.Any(r => r.EventId == e.Id));
}

/// <summary>Idempotency-Key records, by when the first request made them: a retry after this creates a new version.</summary>
public sealed class IdempotencyKeyRetention : IRetentionPolicy
{
    public string Kind => "IdempotencyKeys";

    public int DefaultDays => 7;

    public async Task<int> PurgeBatchAsync(AppDbContext db, DateTimeOffset cutoff, int batchSize, CancellationToken ct)
    {
        var ids = await db.IdempotencyRecords.Where(r => r.CreatedAt < cutoff).OrderBy(r => r.CreatedAt).Select(r => r.Id).Take(batchSize).ToListAsync(ct);
        return await db.DeleteAsync(ids, () => db.IdempotencyRecords.Where(r => ids.Contains(r.Id)).ExecuteDeleteAsync(ct), ct);
    }
}

/// <summary>
/// Audit entries, by when the change was made. Ids grow with time, so the oldest are the first by id: the batch reads
/// the primary key from its start and stops at the first recent entry, with no index of its own.
/// </summary>
public sealed class AuditRetention : IRetentionPolicy
{
    public string Kind => "Audit";

    public int DefaultDays => 365;

    public async Task<int> PurgeBatchAsync(AppDbContext db, DateTimeOffset cutoff, int batchSize, CancellationToken ct)
    {
        var ids = await db.AuditEntries.Where(e => e.At < cutoff).OrderBy(e => e.Id).Select(e => e.Id).Take(batchSize).ToListAsync(ct);
        return await db.DeleteAsync(ids, () => db.AuditEntries.Where(e => ids.Contains(e.Id)).ExecuteDeleteAsync(ct), ct);
    }
}
