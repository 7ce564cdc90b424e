using System.Globalization;
using Microsoft.Extensions.Options;

namespace Automations.Features.Dispatch;

/// <summary>
/// When a failed attempt is tried again: the schedule (<see cref="DispatchOptions.RetrySchedule"/>), an endpoint's
/// <c>Retry-After</c> (capped at <see cref="DispatchOptions.MaxRetryAfter"/>), and jitter (± <see cref="DispatchOptions.Jitter"/>),
/// so retries of many runs do not arrive together. A manual redelivery is one attempt and is never retried.
/// </summary>
public sealed class RetryPolicy(IOptionsMonitor<DispatchOptions> options, TimeProvider clock)
{
    /// <summary>The delay before the next attempt of a run that has now made <paramref name="attemptsSoFar"/>, or null: no more.</summary>
    public TimeSpan? NextDelay(int attemptsSoFar, bool manualRedelivery, TimeSpan? retryAfter)
    {
        var settings = options.CurrentValue;
        if (manualRedelivery || attemptsSoFar > settings.RetrySchedule.Length)
        {
            return null;
        }

        return retryAfter ?? Jittered(settings.RetrySchedule[attemptsSoFar - 1], settings.Jitter);
    }

    /// <summary>A <c>Retry-After</c> header (seconds or an HTTP date) as a delay from now, capped; null when absent or unreadable.</summary>
    public TimeSpan? RetryAfter(IEnumerable<KeyValuePair<string, string>> responseHeaders)
    {
        var header = responseHeaders.FirstOrDefault(h => h.Key.Equals("Retry-After", StringComparison.OrdinalIgnoreCase)).Value;
        if (string.IsNullOrWhiteSpace(header))
        {
            return null;
        }

        TimeSpan? delay = int.TryParse(header, NumberStyles.None, CultureInfo.InvariantCulture, out var seconds) ? TimeSpan.FromSeconds(seconds)
            : DateTimeOffset.TryParse(header, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var at) ? at - clock.GetUtcNow()
            : null;
        return delay is null ? null : TimeSpan.FromTicks(Math.Clamp(delay.Value.Ticks, 0, options.CurrentValue.MaxRetryAfter.Ticks));
    }

    private static TimeSpan Jittered(TimeSpan delay, double jitter) =>
        TimeSpan.FromMilliseconds(delay.TotalMilliseconds * (1 + (Random.Shared.NextDouble() * 2 - 1) * jitter));
}
