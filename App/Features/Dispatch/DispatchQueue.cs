using Hangfire;

namespace Automations.Features.Dispatch;

/// <summary>Hands a run to background workers. The database is the truth; this is only the trigger.</summary>
public interface IDispatchQueue
{
    void Enqueue(long runId);

    /// <summary>To the slow lane: a queue with its own few workers, for webhooks that answer slowly.</summary>
    void EnqueueSlow(long runId);

    void Schedule(long runId, TimeSpan delay);
}

public sealed class HangfireDispatchQueue(IBackgroundJobClient jobs, TimeProvider clock, ILogger<HangfireDispatchQueue> logger) : IDispatchQueue, IDisposable
{
    public const string SlowQueue = "slow";

    /// <summary>
    /// Delays up to this long are timed in this process and enqueued when due: to the millisecond, without Hangfire's
    /// scheduled set (whole seconds and a poller). If the process dies first, the run is still due in the database and
    /// the sweeper sends it.
    /// </summary>
    public static readonly TimeSpan TimedInProcess = TimeSpan.FromMinutes(1);

    /// <summary>
    /// Longer delays are Hangfire scheduled jobs (shared and durable on PostgreSQL), handed over this much early (Hangfire
    /// stores whole seconds and polls every second): the job waits the rest itself, so the attempt starts when the run
    /// is due, not up to two seconds late.
    /// </summary>
    public static readonly TimeSpan ScheduleLead = TimeSpan.FromSeconds(1);

    private readonly System.Collections.Concurrent.ConcurrentDictionary<long, ITimer> _timers = new();
    private long _nextTimer;
    private bool _disposed;

    public void Enqueue(long runId) => jobs.Enqueue<DeliveryJob>(job => job.RunAsync(runId, CancellationToken.None));

    public void EnqueueSlow(long runId) => jobs.Enqueue<DeliveryJob>(SlowQueue, job => job.RunSlowAsync(runId, CancellationToken.None));

    public void Schedule(long runId, TimeSpan delay)
    {
        if (delay > TimedInProcess)
        {
            jobs.Schedule<DeliveryJob>(job => job.RunAsync(runId, CancellationToken.None), delay - ScheduleLead);
            return;
        }

        if (delay <= TimeSpan.Zero || _disposed)
        {
            Enqueue(runId);
            return;
        }

        // One timer per run, kept here (a timer nobody references may be collected) and dropped when disposed.
        var id = Interlocked.Increment(ref _nextTimer);
        var timer = clock.CreateTimer(_ =>
        {
            if (!_timers.TryRemove(id, out var fired))
            {
                return;
            }

            fired.Dispose();
            try
            {
                Enqueue(runId);
            }
            catch (Exception ex)
            {
                // A timer's exception would end the process; the run stays due in the database for the sweeper.
                logger.LogWarning("Run {RunId}: could not be handed to the workers when due ({Error}: {Message}); the sweeper will send it", runId, ex.GetType().Name, ex.Message);
            }
        }, null, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
        _timers[id] = timer;
        timer.Change(delay, Timeout.InfiniteTimeSpan);
    }

    /// <summary>Timers still waiting are dropped with the process: their runs are due in the database, and the next start sends them.</summary>
    public void Dispose()
    {
        _disposed = true;
        foreach (var id in _timers.Keys)
        {
            if (_timers.TryRemove(id, out var timer))
            {
                timer.Dispose();
            }
        }
    }
}
