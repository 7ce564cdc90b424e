using Hangfire;

namespace Automations.Features.Dispatch;

/// <summary>Hands a run to background workers. The database is the truth; this is only the trigger.</summary>
public interface IDispatchQueue
{
    void Enqueue(long runId);

    void Schedule(long runId, TimeSpan delay);
}

public sealed class HangfireDispatchQueue(IBackgroundJobClient jobs) : IDispatchQueue
{
    public void Enqueue(long runId) => jobs.Enqueue<DeliveryJob>(job => job.RunAsync(runId, CancellationToken.None));

    public void Schedule(long runId, TimeSpan delay) => jobs.Schedule<DeliveryJob>(job => job.RunAsync(runId, CancellationToken.None), delay);
}
