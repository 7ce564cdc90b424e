using Automations.Data;

namespace Automations.Infrastructure.Live;

public static class LiveSetup
{
    /// <summary>The change feed and its capture; on PostgreSQL, the relay that shares changes between instances.</summary>
    public static IServiceCollection AddLiveChanges(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddSingleton<ChangeFeed>();
        services.AddSingleton<ChangeCapture>();
        if (DatabaseStartup.Provider(configuration) == DatabaseProvider.Postgres && configuration.GetConnectionString("Default") is { Length: > 0 } connectionString)
        {
            services.AddSingleton(sp => ActivatorUtilities.CreateInstance<PostgresChangeRelay>(sp, connectionString));
            services.AddHostedService(sp => sp.GetRequiredService<PostgresChangeRelay>());
        }

        return services;
    }
}
