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

public sealed class HangfireDispatchQueue(IBackgroundJobClient jobs) : IDispatchQueue
{
    public const string SlowQueue = "slow";

    public void Enqueue(long runId) => jobs.Enqueue<DeliveryJob>(job => job.RunAsync(runId, CancellationToken.None));

    public void EnqueueSlow(long runId) => jobs.Enqueue<DeliveryJob>(SlowQueue, job => job.RunSlowAsync(runId, CancellationToken.None));

    /// <summary>
    /// Scheduled jobs are handed to Hangfire this much early (it stores whole seconds and polls every second):
    /// the job waits the rest itself, so the attempt starts when the run is due, not up to two seconds late.
    /// </summary>
    public static readonly TimeSpan ScheduleLead = TimeSpan.FromSeconds(1);

    public void Schedule(long runId, TimeSpan delay) =>
        jobs.Schedule<DeliveryJob>(job => job.RunAsync(runId, CancellationToken.None), delay > ScheduleLead ? delay - ScheduleLead : TimeSpan.Zero);
}
