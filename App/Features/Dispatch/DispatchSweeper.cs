using Automations.Data;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Automations.Features.Dispatch;

/// <summary>
/// The database is the truth, Hangfire only the trigger: at start-up and then on a short timer, runs that
/// are due and not leased are handed to Hangfire again (in-memory Hangfire forgets its queue on restart;
/// a worker that died leaves an expired lease).
/// </summary>
public sealed class DispatchSweeper(
    IDbContextFactory<AppDbContext> dbFactory,
    IDispatchQueue queue,
    IOptionsMonitor<DispatchOptions> options,
    TimeProvider clock,
    ILogger<DispatchSweeper> logger) : BackgroundService
{
    private const int BatchSize = 1000;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var first = true;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                // On start-up everything due is taken (an in-memory queue is empty after a restart); afterwards only
                // runs the normal path has missed for a while, each at most once per SweepRepeat.
                var settings = options.CurrentValue;
                var count = first ? await SweepAsync(TimeSpan.Zero, TimeSpan.Zero, stoppingToken) : await SweepAsync(settings.SweepGrace, settings.SweepRepeat, stoppingToken);
                if (count > 0)
                {
                    logger.LogInformation("Re-enqueued {Count} due runs", count);
                }

                first = false;
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                logger.LogError(ex, "Sweeping due runs failed; trying again on the next tick");
            }

            await Task.Delay(options.CurrentValue.SweepInterval, clock, stoppingToken);
        }
    }

    /// <summary>
    /// Hands due, unleased runs to the queue again: those due for longer than <paramref name="grace"/> and not swept within
    /// <paramref name="repeat"/>. One sweep at a time across instances (an advisory lock on PostgreSQL; another instance's
    /// sweep in progress means this one skips), and each run is marked, so a backlog waiting in the queue is not
    /// enqueued again on every tick by every instance.
    /// </summary>
    public async Task<int> SweepAsync(TimeSpan grace, TimeSpan repeat, CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        var dueBefore = now - grace;
        var sweptBefore = now - repeat;
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        List<long> due;
        await using (var tx = await db.BeginWriteTransactionAsync(ct))
        {
            if (!await db.TryLockAsync("dispatch-sweep", ct))
            {
                return 0;
            }

            due = await db.AutomationRuns
                .Where(r => (r.Status == RunStatus.Pending || r.Status == RunStatus.Retrying)
                            && r.NextAttemptAt != null && r.NextAttemptAt <= dueBefore
                            && (r.LeaseExpiresAt == null || r.LeaseExpiresAt < now)
                            && (repeat == TimeSpan.Zero || r.SweptAt == null || r.SweptAt <= sweptBefore))
                .OrderBy(r => r.NextAttemptAt)
                .Select(r => r.Id)
                .Take(BatchSize)
                .ToListAsync(ct);
            if (due.Count > 0)
            {
                await db.AutomationRuns.Where(r => due.Contains(r.Id)).ExecuteUpdateAsync(s => s.SetProperty(r => r.SweptAt, now), ct);
            }

            await tx.CommitAsync(ct);
        }

        due.ForEach(queue.Enqueue);
        return due.Count;
    }
}
