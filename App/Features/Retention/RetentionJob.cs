using Automations.Data;
using Automations.Infrastructure.Telemetry;
using Hangfire;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Automations.Features.Retention;

/// <summary>
/// The Hangfire recurring job (<see cref="RetentionOptions.Schedule"/>) that removes what is older than its kind's
/// retention: each registered policy in turn, batch after batch, with a pause after each batch (longer when the batch
/// was slow) so deliveries' writes take the write lock in between. A run that stops part-way (shutdown, failure) loses nothing: the next run carries on.
/// </summary>
public sealed class RetentionJob(
    IEnumerable<IRetentionPolicy> policies,
    IDbContextFactory<AppDbContext> dbFactory,
    IOptionsMonitor<RetentionOptions> options,
    TimeProvider clock,
    EngineMetrics metrics,
    ILogger<RetentionJob> logger)
{
    public const string RecurringJobId = "retention";

    /// <summary>Every kind with a retention, in registration order (attempts and runs before the events they kept). Returns the rows removed by kind.</summary>
    [AutomaticRetry(Attempts = 0)]
    public async Task<Dictionary<string, int>> RunAsync(CancellationToken ct)
    {
        var settings = options.CurrentValue;
        var removed = new Dictionary<string, int>();
        var failed = new List<string>();
        foreach (var policy in policies)
        {
            var days = settings.Days[policy.Kind];
            if (days == 0)
            {
                continue;
            }

            try
            {
                removed[policy.Kind] = await PurgeAsync(policy, clock.GetUtcNow() - TimeSpan.FromDays(days), settings, ct);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                // One kind failing does not keep the others forever.
                logger.LogError(ex, "Removing {Kind} older than {Days} days failed; the next run tries again", policy.Kind, days);
                failed.Add(policy.Kind);
            }
        }

        // Shown as a failed job in the Hangfire dashboard, beside the log.
        return failed.Count == 0 ? removed : throw new InvalidOperationException($"Retention failed for {string.Join(", ", failed)}; see the log.");
    }

    /// <summary>Batches of one kind until a batch removes nothing.</summary>
    private async Task<int> PurgeAsync(IRetentionPolicy policy, DateTimeOffset cutoff, RetentionOptions settings, CancellationToken ct)
    {
        var started = clock.GetTimestamp();
        var total = 0;
        while (true)
        {
            var batchStarted = clock.GetTimestamp();
            int removed;
            await using (var db = await dbFactory.CreateDbContextAsync(ct))
            {
                removed = await policy.PurgeBatchAsync(db, cutoff, settings.BatchSize, ct);
            }

            if (removed == 0)
            {
                break;
            }

            total += removed;
            metrics.RetentionRemoved(policy.Kind, removed);
            var pause = clock.GetElapsedTime(batchStarted) * settings.PauseFactor;
            if (pause < settings.BatchPause)
            {
                pause = settings.BatchPause;
            }

            if (pause > TimeSpan.Zero)
            {
                await Task.Delay(pause, clock, ct);
            }
        }

        logger.Log(total > 0 ? LogLevel.Information : LogLevel.Debug, "Retention removed {Count} {Kind} older than {Cutoff:u} in {Seconds:0.0} s",
            total, policy.Kind, cutoff, clock.GetElapsedTime(started).TotalSeconds);
        return total;
    }
}

/// <summary>Registers the recurring job at start-up (again on every start, so a changed schedule applies; on PostgreSQL every instance writes the same job).</summary>
internal sealed class RetentionSchedule(IRecurringJobManager jobs, IOptions<RetentionOptions> options) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        jobs.AddOrUpdate<RetentionJob>(RetentionJob.RecurringJobId, job => job.RunAsync(CancellationToken.None), options.Value.Schedule,
            new RecurringJobOptions { TimeZone = TimeZoneInfo.Utc });
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
