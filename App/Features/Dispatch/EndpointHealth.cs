using System.Collections.Concurrent;
using Microsoft.Extensions.Options;

namespace Automations.Features.Dispatch;

/// <summary>
/// Which webhooks are slow right now, as this process sees them: an attempt in flight for longer than the
/// threshold, or one that recently took that long. Deliveries to slow webhooks move to their own Hangfire
/// queue with a few workers, so a slow endpoint cannot hold the workers healthy endpoints need.
/// </summary>
public sealed class EndpointHealth(IOptionsMonitor<DispatchOptions> options, TimeProvider clock)
{
    private readonly ConcurrentDictionary<int, State> _states = new();

    /// <summary>Marks an attempt in flight; dispose when it completes.</summary>
    public IDisposable Begin(int webhookId)
    {
        var state = _states.GetOrAdd(webhookId, _ => new State());
        var token = new object();
        state.InFlight[token] = clock.GetTimestamp();
        return new Attempt(this, state, token);
    }

    /// <summary>Attempts to this webhook in flight in this process now.</summary>
    public int InFlight(int webhookId) => _states.TryGetValue(webhookId, out var state) ? state.InFlight.Count : 0;

    public bool IsSlow(int webhookId)
    {
        if (!_states.TryGetValue(webhookId, out var state))
        {
            return false;
        }

        var threshold = options.CurrentValue.SlowThreshold;
        var now = clock.GetTimestamp();
        if (state.InFlight.Values.Any(started => clock.GetElapsedTime(started, now) > threshold))
        {
            return true;
        }

        // Stays slow for a while after a slow attempt, then healthy again until proven otherwise.
        return state.LastSlowAt is { } last && clock.GetElapsedTime(last, now) < options.CurrentValue.SlowMemory;
    }

    private void Complete(State state, object token)
    {
        if (state.InFlight.TryRemove(token, out var started) && clock.GetElapsedTime(started) > options.CurrentValue.SlowThreshold)
        {
            state.LastSlowAt = clock.GetTimestamp();
        }
    }

    private sealed class State
    {
        public ConcurrentDictionary<object, long> InFlight { get; } = new();

        public long? LastSlowAt { get; set; }
    }

    private sealed class Attempt(EndpointHealth owner, State state, object token) : IDisposable
    {
        public void Dispose() => owner.Complete(state, token);
    }
}
