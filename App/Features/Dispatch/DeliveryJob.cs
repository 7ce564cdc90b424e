using Automations.Data;
using Automations.Features.Audit;
using Automations.Features.Automations.Actions;
using Automations.Infrastructure;
using Automations.Infrastructure.Live;
using Automations.Infrastructure.Telemetry;
using Hangfire;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Automations.Features.Dispatch;

/// <summary>
/// Makes one delivery attempt of a run, from its stored event and snapshot: lease, render, sign, send,
/// record, and schedule the next attempt or finish.
/// </summary>
public sealed class DeliveryJob(
    IDbContextFactory<AppDbContext> dbFactory,
    AutomationActions actions,
    RetryPolicy retries,
    IDispatchQueue queue,
    EndpointHealth health,
    IOptionsMonitor<DispatchOptions> options,
    TimeProvider clock,
    EngineMetrics metrics,
    ChangeFeed changes,
    ILogger<DeliveryJob> logger)
{
    private static readonly TimeSpan LeaseRetryDelay = TimeSpan.FromSeconds(5);

    // Hangfire must not retry the job: retries are the run's business, recorded in the database.
    [AutomaticRetry(Attempts = 0)]
    public Task RunAsync(long runId, CancellationToken ct) => AttemptAsync(runId, slowLane: false, ct);

    /// <summary>The same attempt, on the slow queue's workers.</summary>
    [AutomaticRetry(Attempts = 0)]
    public Task RunSlowAsync(long runId, CancellationToken ct) => AttemptAsync(runId, slowLane: true, ct);

    private async Task AttemptAsync(long runId, bool slowLane, CancellationToken ct)
    {
        var settings = options.CurrentValue;
        var owner = Guid.NewGuid().ToString("N");
        await using (var db = await dbFactory.CreateDbContextAsync(ct))
        {
            try
            {
                if (!await TryLeaseAsync(db, runId, owner, settings.Lease, ct) && !await WaitUntilDueAndLeaseAsync(db, runId, owner, settings, ct))
                {
                    logger.LogDebug("Run {RunId}: woken, but it is not due, finished, or another worker holds it", runId);
                    return;
                }
            }
            catch (Exception ex) when (!ct.IsCancellationRequested)
            {
                // The trigger must not be lost to a passing database error: try again shortly instead of waiting for the sweeper.
                logger.LogWarning("Run {RunId}: could not take the lease ({Error}: {Message}); trying again in {Delay}", runId, ex.GetType().Name, ex.Message, LeaseRetryDelay);
                queue.Schedule(runId, LeaseRetryDelay);
                return;
            }

            try
            {
                await AttemptLeasedAsync(db, runId, owner, slowLane, settings, ct);
                return;
            }
            catch (DbUpdateConcurrencyException)
            {
                // The attempt outlived its lease and another worker took the run over: that worker's result stands.
                logger.LogWarning("Run {RunId}: another worker took the run over while this attempt ran (it outlived Dispatch:Lease); this attempt's result is not recorded", runId);
                return;
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                // Stopping, and the drain time is over: nothing was recorded, so give the run back for the next start.
                logger.LogWarning("Run {RunId}: attempt abandoned while stopping; its lease is released so the next start sends it at once", runId);
                await ReleaseLeaseAsync(db, runId, owner, CancellationToken.None);
                return;
            }
            catch (Exception ex) when (!ct.IsCancellationRequested)
            {
                // A run whose data makes the attempt throw must not be picked up and crash again forever.
                logger.LogWarning("Run {RunId}: the attempt failed inside the app: {Error}: {Message}", runId, ex.GetType().Name, ex.Message);
                await RecordCrashAsync(runId, owner, ex, ct);
            }
        }
    }

    /// <summary>
    /// The attempt threw: it is recorded as a failed attempt carrying the error and follows the retry schedule,
    /// so the run ends (Failed once the schedule is spent) instead of staying Pending. A fresh context: the one
    /// that threw may hold half-made changes. If even that fails, one statement counts the attempt.
    /// </summary>
    private async Task RecordCrashAsync(long runId, string owner, Exception ex, CancellationToken ct)
    {
        var error = $"The attempt failed inside the app ({ex.GetType().Name}): {ex.Message}";
        try
        {
            await using var db = await dbFactory.CreateDbContextAsync(ct);
            var run = await db.AutomationRuns.SingleAsync(r => r.Id == runId && r.LeaseOwner == owner, ct);
            await RecordAsync(db, run, ActionOutcome.Retry(DeliveryAttempt.Of(run, clock.GetUtcNow(), "", "", null, error), retryAfter: null), ct);
        }
        catch (Exception again) when (!ct.IsCancellationRequested)
        {
            logger.LogWarning("Run {RunId}: the failed attempt could not be recorded either: {Error}: {Message}", runId, again.GetType().Name, again.Message);
            await using var db = await dbFactory.CreateDbContextAsync(ct);
            var settings = options.CurrentValue;
            var now = clock.GetUtcNow();
            var schedule = settings.RetrySchedule;
            var lastError = TextRules.Cap(error, 2000);
            await db.WriteStatementAsync(() => db.AutomationRuns.Where(r => r.Id == runId && r.LeaseOwner == owner)
                .ExecuteUpdateAsync(s => s
                    .SetProperty(r => r.AttemptCount, r => r.AttemptCount + 1)
                    .SetProperty(r => r.Status, r => r.AttemptCount + 1 > schedule.Length ? RunStatus.Failed : RunStatus.Retrying)
                    .SetProperty(r => r.NextAttemptAt, r => r.AttemptCount + 1 > schedule.Length ? null : now + settings.FallbackRetryDelay)
                    .SetProperty(r => r.CompletedAt, r => r.AttemptCount + 1 > schedule.Length ? now : null)
                    .SetProperty(r => r.LastError, lastError)
                    .SetProperty(r => r.LeaseOwner, (string?)null)
                    .SetProperty(r => r.LeaseExpiresAt, (DateTimeOffset?)null)
                    .SetProperty(r => r.UpdatedAt, now), ct), ct);
        }
    }

    /// <summary>Gives the run back, due as it was, if this worker still holds it.</summary>
    private static Task<int> ReleaseLeaseAsync(AppDbContext db, long runId, string owner, CancellationToken ct) =>
        db.WriteStatementAsync(() => db.AutomationRuns.Where(r => r.Id == runId && r.LeaseOwner == owner)
            .ExecuteUpdateAsync(s => s.SetProperty(r => r.LeaseOwner, (string?)null).SetProperty(r => r.LeaseExpiresAt, (DateTimeOffset?)null), ct), ct);

    private async Task AttemptLeasedAsync(AppDbContext db, long runId, string owner, bool slowLane, DispatchOptions settings, CancellationToken ct)
    {
        var run = await db.AutomationRuns.SingleAsync(r => r.Id == runId, ct);
        if (!slowLane && run.WebhookId is { } hookId && (health.IsSlow(hookId) || health.InFlight(hookId) >= settings.MaxInFlightPerWebhook))
        {
            // Leave the default workers to healthy endpoints: give the lease back and go to the slow lane.
            await ReleaseLeaseAsync(db, runId, owner, ct);
            queue.EnqueueSlow(runId);
            return;
        }

        var outcome = await actions.Get(run.ActionType).AttemptAsync(new ActionAttempt(db, run), ct);
        if (outcome.Kind == ActionOutcomeKind.Parked)
        {
            await ParkAsync(db, run, outcome.Reason!, ct);
            return;
        }

        await RecordAsync(db, run, outcome, ct);
    }

    /// <summary>
    /// A trigger may come a little before the run is due (Hangfire's scheduled jobs on purpose, since it keeps whole
    /// seconds and polls; timers by a millisecond or two): a run due within <see cref="HangfireDispatchQueue.ScheduleLead"/>
    /// and a bit is waited for here, so a retry starts on time instead of waiting for the sweeper.
    /// </summary>
    private async Task<bool> WaitUntilDueAndLeaseAsync(AppDbContext db, long runId, string owner, DispatchOptions settings, CancellationToken ct)
    {
        for (var tries = 0; tries < 3; tries++)
        {
            var due = await db.AutomationRuns.Where(r => r.Id == runId && (r.Status == RunStatus.Pending || r.Status == RunStatus.Retrying))
                .Select(r => r.NextAttemptAt).FirstOrDefaultAsync(ct);
            var wait = due - clock.GetUtcNow();
            if (wait is not { } delay || delay > HangfireDispatchQueue.ScheduleLead * 3)
            {
                // Finished, waiting on something else, or far off (its own trigger will come).
                return false;
            }

            // Timers may fire a few milliseconds before the wall clock says the time has come: wait a little over. Already
            // due (the first lease missed it by a hair, and time went on): lease at once. Giving up here instead lost a
            // retry whose trigger fired a millisecond early; nothing else would have woken it until the sweeper.
            if (delay > TimeSpan.Zero)
            {
                await Task.Delay(delay + TimeSpan.FromMilliseconds(5), clock, ct);
            }

            if (await TryLeaseAsync(db, runId, owner, settings.Lease, ct))
            {
                return true;
            }
        }

        return false;
    }

    private async Task<bool> TryLeaseAsync(AppDbContext db, long runId, string owner, TimeSpan lease, CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        // One conditional UPDATE: atomic by itself, so no transaction around it.
        var leased = await db.WriteStatementAsync(() => db.AutomationRuns
            .Where(r => r.Id == runId && (r.Status == RunStatus.Pending || r.Status == RunStatus.Retrying)
                        && r.NextAttemptAt != null && r.NextAttemptAt <= now
                        && (r.LeaseExpiresAt == null || r.LeaseExpiresAt < now))
            .ExecuteUpdateAsync(s => s.SetProperty(r => r.LeaseOwner, owner).SetProperty(r => r.LeaseExpiresAt, now + lease), ct), ct);
        return leased == 1;
    }

    /// <summary>Stores the attempt and moves the run on: succeeded, retry later (<see cref="RetryPolicy"/>), or failed; counts the webhook's failures.</summary>
    private async Task RecordAsync(AppDbContext db, AutomationRun run, ActionOutcome outcome, CancellationToken ct)
    {
        var settings = options.CurrentValue;
        var now = clock.GetUtcNow();
        var attempt = outcome.Attempt!;
        var webhook = outcome.Webhook;
        var ok = outcome.Kind == ActionOutcomeKind.Succeeded;
        var attemptsSoFar = run.AttemptCount + 1;
        var delay = outcome.Kind == ActionOutcomeKind.Retry ? retries.NextDelay(attemptsSoFar, run.ManualRedelivery, outcome.RetryAfter) : null;
        attempt.Outcome = ok ? AttemptOutcome.Succeeded : delay is not null ? AttemptOutcome.WillRetry : AttemptOutcome.Failed;

        await using var tx = await db.BeginWriteTransactionAsync(ct);
        var disable = webhook is null ? null : await EndpointFailures.RecordAsync(db, webhook.Id, ok, runFailed: !ok && delay is null,
            gone: attempt.ResponseStatus == 410, now, settings, ct);
        db.DeliveryAttempts.Add(attempt);
        run.Record(attempt, now, delay);
        if (disable is not null)
        {
            // The app stopped deliveries by itself: the log says so, so an admin's "enabled" later has its cause beside it.
            db.RecordSystem(clock, run.TeamId, AuditActions.WebhookDisabled, AuditTarget.Of(AuditTargets.Webhook, webhook!.Id, webhook.Name), new { reason = disable });
        }

        await db.SaveChangesAsync(ct);
        await tx.CommitAsync(ct);
        logger.LogInformation("Run {RunId} attempt {Attempt}: {Outcome} (status {Status})", run.Id, attempt.Number, attempt.Outcome, attempt.ResponseStatus);
        metrics.AttemptRecorded(run.ActionType, attempt.Outcome, now - attempt.StartedAt);
        if (disable is not null)
        {
            logger.LogWarning("Webhook {WebhookId} disabled: {Reason}", webhook!.Id, disable);
            metrics.WebhookDisabled();
            changes.Publish(new Change(ChangeKind.Webhook, run.TeamId, webhook.Id, WebhookId: webhook.Id));
        }

        if (delay is not null)
        {
            queue.Schedule(run.Id, delay.Value);
        }
    }

    /// <summary>Releases the lease and leaves the run unfinished and not due: it waits until something makes it due again.</summary>
    private async Task ParkAsync(AppDbContext db, AutomationRun run, string reason, CancellationToken ct)
    {
        await using var tx = await db.BeginWriteTransactionAsync(ct);
        run.Park(reason, clock.GetUtcNow());
        await db.SaveChangesAsync(ct);
        await tx.CommitAsync(ct);
    }
}
