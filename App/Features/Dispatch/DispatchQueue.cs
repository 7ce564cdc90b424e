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

    public void Schedule(long runId, TimeSpan delay) => jobs.Schedule<DeliveryJob>(job => job.RunAsync(runId, CancellationToken.None), delay);
}
