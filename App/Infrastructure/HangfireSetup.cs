using Automations.Data;
using Hangfire;
using Hangfire.AspNetCore;
using Hangfire.Dashboard;
using Hangfire.InMemory;
using Hangfire.PostgreSql;
using Hangfire.PostgreSql.Factories;

namespace Automations.Infrastructure;

public static class HangfireSetup
{
    public static IServiceCollection AddAppHangfire(this IServiceCollection services, IConfiguration configuration)
    {
        // Each host gets its own storage, registered before AddHangfire (which only adds JobStorage.Current
        // when none is registered): two hosts in one process (tests, benchmarks) must not share a queue.
        // On PostgreSQL, every instance shares one job storage in the app's database (schema "hangfire"): scheduled
        // retries survive restarts, any instance's workers take any job, and the dashboard lists every server.
        services.AddSingleton<JobStorage>(_ => DatabaseStartup.Provider(configuration) == DatabaseProvider.Postgres
            ? PostgresStorage(configuration.GetConnectionString("Default")!)
            : new InMemoryStorage(new InMemoryStorageOptions { MaxExpirationTime = TimeSpan.FromHours(6) }));
        // Likewise the job activator: AddHangfire would register the process-wide JobActivator.Current, which the last
        // host to configure Hangfire sets to its own container, so another host's jobs would be built from that
        // container, and fail once it is disposed ("Cannot access a disposed object. IServiceProvider").
        services.AddSingleton<JobActivator>(sp => new AspNetCoreJobActivator(sp.GetRequiredService<IServiceScopeFactory>()));
        services.AddSingleton(sp => new HangfireLogAttachment(HangfireLogBridge.Instance.Attach(sp.GetRequiredService<ILoggerFactory>())));
        services.AddHangfire((sp, config) =>
        {
            sp.GetRequiredService<HangfireLogAttachment>();
            config
                .SetDataCompatibilityLevel(CompatibilityLevel.Version_180)
                .UseSimpleAssemblyNameTypeSerializer()
                .UseRecommendedSerializerSettings()
                .UseLogProvider(HangfireLogBridge.Instance);
        });
        if (configuration.GetValue("Hangfire:Server:Enabled", true))
        {
            // On stop: fetch nothing new, let jobs in flight finish for the drain time, then cancel their token.
            var drain = configuration.GetSection(ShutdownOptions.Section).Get<ShutdownOptions>()?.DrainTimeout ?? new ShutdownOptions().DrainTimeout;
            // Deliveries wait on the network, not the CPU: many workers for the default queue...
            services.AddHangfireServer(options =>
            {
                options.ServerName = $"{Environment.MachineName}:default";
                options.Queues = ["default"];
                options.WorkerCount = configuration.GetValue("Hangfire:Server:WorkerCount", Math.Max(20, Environment.ProcessorCount * 10));
                options.SchedulePollingInterval = TimeSpan.FromSeconds(1);
                (options.StopTimeout, options.ShutdownTimeout) = (drain, TimeSpan.FromSeconds(5));
            });
            // ...and a few for the slow lane, where deliveries to slow webhooks go.
            services.AddHangfireServer(options =>
            {
                options.ServerName = $"{Environment.MachineName}:slow";
                options.Queues = ["slow"];
                options.WorkerCount = configuration.GetValue("Hangfire:Server:SlowWorkerCount", 4);
                options.SchedulePollingInterval = TimeSpan.FromSeconds(1);
                (options.StopTimeout, options.ShutdownTimeout) = (drain, TimeSpan.FromSeconds(5));
            });
        }

        return services;
    }

    private static PostgreSqlStorage PostgresStorage(string connectionString)
    {
        var options = new PostgreSqlStorageOptions
        {
            SchemaName = "hangfire",
            PrepareSchemaIfNecessary = true,
            // Workers wait on LISTEN/NOTIFY for new jobs instead of polling the queue table.
            EnableLongPolling = true,
            QueuePollInterval = TimeSpan.FromSeconds(5),
            // A job fetched by an instance that died becomes visible to the others after this; the run's own lease
            // and the dispatch sweeper usually send it long before.
            UseSlidingInvisibilityTimeout = true,
            InvisibilityTimeout = TimeSpan.FromMinutes(5),
            DistributedLockTimeout = TimeSpan.FromMinutes(1),
        };
        return new PostgreSqlStorage(new NpgsqlConnectionFactory(connectionString, options), options);
    }

    /// <summary>The dashboard shows job arguments and failures: instance administrators only.</summary>
    public static IEndpointRouteBuilder MapAppHangfireDashboard(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapHangfireDashboard("/hangfire", new DashboardOptions
        {
            Authorization = [new InstanceAdminDashboardFilter()],
            DisplayStorageConnectionString = false,
            AppPath = "/",
        });
        return endpoints;
    }

    private sealed class InstanceAdminDashboardFilter : IDashboardAuthorizationFilter
    {
        public bool Authorize(DashboardContext context)
        {
            var user = context.GetHttpContext().User;
            return Actor.FromPrincipal(user)?.IsInstanceAdmin == true;
        }
    }

    /// <summary>Ties this host's place in <see cref="HangfireLogBridge"/> to the container's lifetime.</summary>
    private sealed class HangfireLogAttachment(IDisposable attachment) : IDisposable
    {
        public void Dispose() => attachment.Dispose();
    }
}
