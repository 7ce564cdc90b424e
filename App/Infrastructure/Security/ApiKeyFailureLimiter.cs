using System.Threading.RateLimiting;

namespace Automations.Infrastructure.Security;

/// <summary>
/// Counts failed API-key authentications per client address in fixed windows (RateLimits:ApiKeyFailures). Once an
/// address has spent its budget, <see cref="RetryAfter"/> says how long all its API requests are refused.
/// In-process: each instance counts its own failures, so N instances allow up to N budgets.
/// </summary>
public sealed class ApiKeyFailureLimiter(RateLimitSettings settings) : IDisposable
{
    private readonly PartitionedRateLimiter<string> _failures = PartitionedRateLimiter.Create<string, string>(address =>
        RateLimitPartition.GetFixedWindowLimiter(address, _ => settings.FixedWindow()));

    /// <summary>How long <paramref name="address"/> must wait, or null while it still has failures to spend.</summary>
    public TimeSpan? RetryAfter(string address)
    {
        // Acquiring zero permits asks "is any left?" without spending one.
        using var lease = _failures.AttemptAcquire(address, 0);
        if (lease.IsAcquired)
        {
            return null;
        }

        return lease.TryGetMetadata(MetadataName.RetryAfter, out var wait) ? wait : settings.Window;
    }

    /// <summary>Spends one failure of <paramref name="address"/>; true when that was its last one.</summary>
    public bool RecordFailure(string address)
    {
        using (var lease = _failures.AttemptAcquire(address, 1))
        {
            if (!lease.IsAcquired)
            {
                return false;
            }
        }

        return RetryAfter(address) is not null;
    }

    public void Dispose() => _failures.Dispose();
}
