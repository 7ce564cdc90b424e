using System.Threading.RateLimiting;
using Automations.Infrastructure;
using Automations.Infrastructure.Security;
using Microsoft.Extensions.Options;

namespace Automations.Features.Webhooks;

/// <summary>Configuration section "RateLimits:WebhookTest".</summary>
public sealed class WebhookTestLimitOptions
{
    public const string Section = "RateLimits:WebhookTest";

    /// <summary>Test sends one user may make per window, from the page and the API together.</summary>
    public int PermitLimit { get; set; } = 10;

    public TimeSpan Window { get; set; } = TimeSpan.FromMinutes(1);
}

/// <summary>
/// The Test button makes the server send a request wherever the webhook points: bounded per user, so an admin's
/// session or key cannot turn the instance into a request generator. Lives in the service, so the page and the
/// API share one budget; per instance (several instances each allow the limit).
/// </summary>
public sealed class WebhookTestLimiter : IDisposable
{
    private readonly PartitionedRateLimiter<string> _limiter;
    private readonly TimeSpan _window;

    public WebhookTestLimiter(IOptions<WebhookTestLimitOptions> options)
    {
        var settings = options.Value;
        _window = settings.Window;
        var budget = new RateLimitSettings(Math.Max(1, settings.PermitLimit), settings.Window);
        _limiter = PartitionedRateLimiter.Create<string, string>(user => RateLimitPartition.GetFixedWindowLimiter(user, _ => budget.FixedWindow()));
    }

    /// <summary>Takes one test from <paramref name="actor"/>'s budget or throws <see cref="RateLimitedException"/>.</summary>
    public void Take(Actor actor)
    {
        using var lease = _limiter.AttemptAcquire(actor.UserId);
        if (!lease.IsAcquired)
        {
            var retryAfter = lease.TryGetMetadata(MetadataName.RetryAfter, out var after) ? after : _window;
            throw new RateLimitedException(
                $"Too many test sends: try again in {TooManyRequests.Seconds(retryAfter)} s.", retryAfter);
        }
    }

    public void Dispose() => _limiter.Dispose();
}
