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
        var grace = TimeSpan.Zero;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                var count = await SweepAsync(grace, stoppingToken);
                if (count > 0)
                {
                    logger.LogInformation("Re-enqueued {Count} due runs", count);
                }
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                logger.LogError(ex, "Sweeping due runs failed; trying again on the next tick");
            }

            // On start-up everything due is taken; afterwards only runs the normal path has missed for a while.
            grace = options.CurrentValue.SweepGrace;
            await Task.Delay(options.CurrentValue.SweepInterval, clock, stoppingToken);
        }
    }

    public async Task<int> SweepAsync(TimeSpan grace, CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        var dueBefore = now - grace;
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var due = await db.AutomationRuns
            .Where(r => (r.Status == RunStatus.Pending || r.Status == RunStatus.Retrying)
                        && r.NextAttemptAt != null && r.NextAttemptAt <= dueBefore
                        && (r.LeaseExpiresAt == null || r.LeaseExpiresAt < now))
            .OrderBy(r => r.NextAttemptAt)
            .Select(r => r.Id)
            .Take(BatchSize)
            .ToListAsync(ct);
        due.ForEach(queue.Enqueue);
        return due.Count;
    }
}
