using Automations.Infrastructure.Telemetry;
using Microsoft.Extensions.Options;

namespace Automations.Features.Retention;

public static class RetentionModule
{
    public static IServiceCollection AddRetention(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<RetentionOptions>().Bind(configuration.GetSection(RetentionOptions.Section)).ValidateOnStart();
        services.AddSingleton<IPostConfigureOptions<RetentionOptions>, RetentionDays>();
        services.AddSingleton<IValidateOptions<RetentionOptions>, RetentionValidation>();
        services.AddEngineMetrics();
        services.AddScoped<RetentionJob>();
        services.AddHostedService<RetentionSchedule>();
        // Registration order is the order of a pass: attempts and runs go before the events they kept.
        return services
            .AddRetentionPolicy<AttemptRetention>()
            .AddRetentionPolicy<RunRetention>()
            .AddRetentionPolicy<LaunchRunRetention>()
            .AddRetentionPolicy<EventRetention>()
            .AddRetentionPolicy<IdempotencyKeyRetention>()
            .AddRetentionPolicy<AuditRetention>();
    }

    /// <summary>A kind the retention job removes: its <c>Retention:&lt;Kind&gt;</c> setting is read and validated from then on.</summary>
    public static IServiceCollection AddRetentionPolicy<TPolicy>(this IServiceCollection services) where TPolicy : class, IRetentionPolicy =>
        services.AddSingleton<IRetentionPolicy, TPolicy>();
}
