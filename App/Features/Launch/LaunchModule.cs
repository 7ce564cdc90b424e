using Automations.Features.Automations.Actions;
using Automations.Features.Automations;
using Automations.Infrastructure.Api;
using Automations.Infrastructure.Telemetry;
using Automations.Infrastructure;

namespace Automations.Features.Launch;

public static class LaunchModule
{
    public static IServiceCollection AddLaunch(this IServiceCollection services, IConfiguration configuration)
    {
        services.Configure<LaunchOptions>(configuration.GetSection(LaunchOptions.Section));
        services.AddEngineMetrics();
        services.AddScoped<JobService>();
        services.AddScoped<QueueService>();
        services.AddScoped<LaunchRunService>();
        services.AddScoped<AgentService>();
        services.AddAutomationAction<JobAction>(ActionTypes.Job);
        if (configuration.GetValue("Launch:SweeperEnabled", true))
        {
            services.AddHostedService<LaunchSweeper>();
        }

        return services;
    }

    public static IEndpointRouteBuilder MapLaunch(this IEndpointRouteBuilder endpoints)
    {
        var jobs = endpoints.MapApiGroup("teams/{team}/launch/jobs", "Launch jobs");
        jobs.MapGet("/", (string team, Actor actor, JobService service, CancellationToken ct) =>
            service.ListJobsAsync(actor, team, ct));
        jobs.MapGet("/{job}", (string team, string job, Actor actor, JobService service, CancellationToken ct) =>
            service.GetJobAsync(actor, team, job, ct));
        jobs.MapPost("/", async (string team, JobInput body, Actor actor, JobService service, CancellationToken ct) =>
        {
            var created = await service.CreateJobAsync(actor, team, body, ct);
            return Results.Created($"{ApiEndpoints.Prefix}/teams/{team}/launch/jobs/{created.Job.Name}", created);
        });
        jobs.MapPost("/{job}/versions", async (string team, string job, JobVersionInput body, Actor actor, JobService service, CancellationToken ct) =>
        {
            var created = await service.AddVersionAsync(actor, team, job, body, ct);
            return Results.Created($"{ApiEndpoints.Prefix}/teams/{team}/launch/jobs/{job}", created);
        });
        jobs.MapDelete("/{job}", async (string team, string job, Actor actor, JobService service, CancellationToken ct) =>
        {
            await service.DeleteJobAsync(actor, team, job, ct);
            return Results.NoContent();
        });

        var queues = endpoints.MapApiGroup("teams/{team}/launch/queues", "Launch queues");
        queues.MapGet("/", (string team, Actor actor, QueueService service, CancellationToken ct) =>
            service.ListQueuesAsync(actor, team, ct));
        queues.MapGet("/{queue}", (string team, string queue, Actor actor, QueueService service, CancellationToken ct) =>
            service.GetQueueAsync(actor, team, queue, ct));
        queues.MapPost("/", async (string team, QueueInput body, Actor actor, QueueService service, CancellationToken ct) =>
        {
            var created = await service.CreateQueueAsync(actor, team, body, ct);
            return Results.Created($"{ApiEndpoints.Prefix}/teams/{team}/launch/queues/{created.Name}", created);
        });
        queues.MapDelete("/{queue}", async (string team, string queue, Actor actor, QueueService service, CancellationToken ct) =>
        {
            await service.DeleteQueueAsync(actor, team, queue, ct);
            return Results.NoContent();
        });
        queues.MapGet("/{queue}/runs", (string team, string queue, Actor actor, LaunchRunService service, CancellationToken ct, [AsParameters] PageRequest paging,
                LaunchRunStatus? status = null) =>
            service.ListRunsAsync(actor, team, queue, status, paging, ct));
        queues.MapPost("/{queue}/runs", async (string team, string queue, LaunchRequest body, Actor actor, LaunchRunService service, CancellationToken ct) =>
        {
            var created = await service.LaunchAsync(actor, team, queue, body, ct);
            return Results.Created($"{ApiEndpoints.Prefix}/teams/{team}/launch/runs/{created.Id}", created);
        });
        // The agent protocol: 200 with a run, or 204 when the queue is empty.
        queues.MapPost("/{queue}/claim", async (string team, string queue, AgentRequest body, Actor actor, AgentService service, CancellationToken ct) =>
            await service.ClaimAsync(actor, team, queue, body.AgentId, ct) is { } run ? Results.Ok(run) : Results.NoContent())
            .Produces<ClaimedRun>().Produces(StatusCodes.Status204NoContent).RequiresKey(KeyPermission.Agent);

        var runs = endpoints.MapApiGroup("teams/{team}/launch/runs", "Launch runs");
        runs.MapGet("/", (string team, Actor actor, LaunchRunService service, CancellationToken ct, [AsParameters] PageRequest paging,
                LaunchRunStatus? status = null) =>
            service.ListRunsAsync(actor, team, null, status, paging, ct));
        runs.MapGet("/{id:long}", (string team, long id, Actor actor, LaunchRunService service, CancellationToken ct) =>
            service.GetRunAsync(actor, team, id, ct));
        runs.MapPost("/{id:long}/cancel", (string team, long id, Actor actor, LaunchRunService service, CancellationToken ct) =>
            service.CancelAsync(actor, team, id, ct));
        runs.MapPost("/{id:long}/status", (string team, long id, StatusReport body, Actor actor, AgentService service, CancellationToken ct) =>
            service.ReportStatusAsync(actor, team, id, body, ct)).RequiresKey(KeyPermission.Agent);
        runs.MapPost("/{id:long}/output", (string team, long id, OutputChunk body, Actor actor, AgentService service, CancellationToken ct) =>
            service.AppendOutputAsync(actor, team, id, body, ct)).RequiresKey(KeyPermission.Agent);

        var agents = endpoints.MapApiGroup("teams/{team}/launch/agents", "Launch agents");
        agents.MapGet("/", (string team, Actor actor, AgentService service, CancellationToken ct) =>
            service.ListAgentsAsync(actor, team, ct));
        agents.MapPost("/", async (string team, AgentRegistration body, Actor actor, AgentService service, CancellationToken ct) =>
        {
            var registered = await service.RegisterAgentAsync(actor, team, body, ct);
            return Results.Created($"{ApiEndpoints.Prefix}/teams/{team}/launch/agents/{registered.AgentId}", registered);
        }).RequiresKey(KeyPermission.Agent);
        agents.MapPost("/{id:int}/heartbeat", (string team, int id, Actor actor, AgentService service, CancellationToken ct) =>
            service.HeartbeatAsync(actor, team, id, ct)).RequiresKey(KeyPermission.Agent);
        agents.MapPost("/{id:int}/stop", async (string team, int id, Actor actor, AgentService service, CancellationToken ct) =>
        {
            await service.StopAgentAsync(actor, team, id, ct);
            return Results.NoContent();
        }).RequiresKey(KeyPermission.Agent);
        return endpoints;
    }
}
