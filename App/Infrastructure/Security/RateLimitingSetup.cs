using System.Threading.RateLimiting;
using Microsoft.AspNetCore.RateLimiting;

namespace Automations.Infrastructure.Security;

/// <summary>A budget of <see cref="PermitLimit"/> per client address in each fixed <see cref="Window"/>.</summary>
public sealed record RateLimitSettings(int PermitLimit, TimeSpan Window)
{
    public FixedWindowRateLimiterOptions FixedWindow() => new()
    {
        PermitLimit = PermitLimit,
        Window = Window,
        // Refuse at once: holding a request in a queue only keeps an attacker's connection open.
        QueueLimit = 0,
        AutoReplenishment = true,
    };

    internal static RateLimitSettings Read(IConfiguration configuration, string section, int permitLimit, TimeSpan window)
    {
        var settings = new RateLimitSettings(
            configuration.GetValue($"{section}:PermitLimit", permitLimit),
            configuration.GetValue($"{section}:Window", window));
        if (settings.PermitLimit < 1 || settings.Window <= TimeSpan.Zero)
        {
            throw new InvalidOperationException($"{section}: PermitLimit must be at least 1 and Window a positive time span such as 00:01:00.");
        }

        return settings;
    }
}

public static class RateLimitingSetup
{
    /// <summary>The policy of the account forms that take a credential or send mail; put on a page with <c>[EnableRateLimiting]</c>.</summary>
    public const string SignInPolicy = "sign-in";

    /// <summary>
    /// Sign-in form posts (RateLimits:SignIn, default 10 a minute per address) through ASP.NET Core's rate limiter, and the
    /// failed API-key counter (RateLimits:ApiKeyFailures, default 20 a minute per address) used by the API-key handler.
    /// </summary>
    public static IServiceCollection AddAppRateLimiting(this IServiceCollection services, IConfiguration configuration)
    {
        var signIn = RateLimitSettings.Read(configuration, "RateLimits:SignIn", 10, TimeSpan.FromMinutes(1));
        var apiKeyFailures = RateLimitSettings.Read(configuration, "RateLimits:ApiKeyFailures", 20, TimeSpan.FromMinutes(1));

        services.AddSingleton(new ApiKeyFailureLimiter(apiKeyFailures));
        services.AddRateLimiter(options =>
        {
            // Only posts spend the budget: showing the form costs nothing and a person may reload it freely.
            options.AddPolicy(SignInPolicy, context => HttpMethods.IsPost(context.Request.Method)
                ? RateLimitPartition.GetFixedWindowLimiter(ClientAddress.Of(context), _ => signIn.FixedWindow())
                : RateLimitPartition.GetNoLimiter(""));
            options.OnRejected = (rejected, _) =>
            {
                var wait = rejected.Lease.TryGetMetadata(MetadataName.RetryAfter, out var retryAfter) ? retryAfter : signIn.Window;
                return new ValueTask(TooManyRequests.WriteTextAsync(rejected.HttpContext, wait,
                    $"Too many sign-in attempts from your network address. Try again in {TooManyRequests.Seconds(wait)} seconds."));
            };
        });
        return services;
    }
}
