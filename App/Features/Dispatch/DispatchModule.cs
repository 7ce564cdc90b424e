using Automations.Features.Artifacts;
using Automations.Infrastructure.Api;
using Automations.Infrastructure.Outbound;
using Automations.Infrastructure.Telemetry;
using Automations.Infrastructure;
using Microsoft.Extensions.Options;

namespace Automations.Features.Dispatch;

public static class DispatchModule
{
    public static IServiceCollection AddDispatch(this IServiceCollection services, IConfiguration configuration)
    {
        services.Configure<DispatchOptions>(configuration.GetSection(DispatchOptions.Section));
        services.AddEngineMetrics();
        // The binder appends configured array items to a non-empty default: a configured schedule must be the whole schedule.
        services.PostConfigure<DispatchOptions>(o => o.RetrySchedule = DispatchOptions.ConfiguredSchedule(configuration.GetSection(DispatchOptions.Section)) ?? o.RetrySchedule);
        // A lease outlives the longest attempt (the whole outbound request) by a margin, and no more: after kill -9 the
        // run is taken over as soon as it can no longer be in flight.
        services.AddOptions<DispatchOptions>().PostConfigure<IOptions<OutboundOptions>>((o, outbound) =>
        {
            if (configuration[$"{DispatchOptions.Section}:{nameof(DispatchOptions.Lease)}"] is null)
            {
                o.Lease = outbound.Value.RequestTimeout + DispatchOptions.LeaseMargin;
            }
        });
        services.AddScoped<DispatchService>();
        services.AddScoped<DeliveryJob>();
        services.AddSingleton<RetryPolicy>();
        services.AddSingleton<IDispatchQueue, HangfireDispatchQueue>();
        services.AddSingleton<EndpointHealth>();
        services.AddScoped<IArtifactEventListener, DispatchEventListener>();
        // Read before options exist: registration decides whether the sweeper runs at all.
        if (configuration.GetValue("Dispatch:SweeperEnabled", true) && configuration.GetValue("Hangfire:Server:Enabled", true))
        {
            services.AddHostedService<DispatchSweeper>();
        }

        return services;
    }

    public static IEndpointRouteBuilder MapDispatch(this IEndpointRouteBuilder endpoints)
    {
        var runs = endpoints.MapApiGroup("teams/{team}/projects/{project}/runs", "Runs");
        runs.MapGet("/", (string team, string project, Actor actor, DispatchService service, CancellationToken ct, [AsParameters] PageRequest paging,
                int? automationId = null, RunStatus? status = null) =>
            service.ListRunsAsync(actor, team, project, automationId, status, paging, ct));
        runs.MapGet("/{id:long}", (string team, string project, long id, Actor actor, DispatchService service, CancellationToken ct) =>
            service.GetRunAsync(actor, team, project, id, ct));
        runs.MapPost("/{id:long}/redeliver", (string team, string project, long id, Actor actor, DispatchService service, CancellationToken ct) =>
            service.RedeliverAsync(actor, team, project, id, ct));
        var deliveries = endpoints.MapApiGroup("teams/{team}/webhooks/{id:int}", "Webhooks");
        deliveries.MapGet("/deliveries", (string team, int id, Actor actor, DispatchService service, CancellationToken ct, [AsParameters] PageRequest paging,
                RunStatus? status = null) =>
            service.ListWebhookDeliveriesAsync(actor, team, id, status, paging, ct));
        deliveries.MapPost("/recover", (string team, int id, RecoverRequest body, Actor actor, DispatchService service, CancellationToken ct) =>
            service.RecoverAsync(actor, team, id, body.Since, ct));
        return endpoints;
    }

    public sealed record RecoverRequest(DateTimeOffset Since);
}
