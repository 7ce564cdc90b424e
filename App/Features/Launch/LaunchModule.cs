using Automations.Features.Automations;
using Automations.Features.Automations.Actions;
using Automations.Infrastructure.Api;
using Automations.Infrastructure.Telemetry;

namespace Automations.Features.Launch;

public static class LaunchModule
{
    public static IServiceCollection AddLaunch(this IServiceCollection services, IConfiguration configuration)
    {
        services.Configure<LaunchOptions>(configuration.GetSection(LaunchOptions.Section));
        services.AddEngineMetrics();
        services.AddScoped<LaunchService>();
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
        jobs.MapGet("/", (string team, HttpContext http, LaunchService service, CancellationToken ct) =>
            service.ListJobsAsync(http.User.Actor(), team, ct));
        jobs.MapGet("/{job}", (string team, string job, HttpContext http, LaunchService service, CancellationToken ct) =>
            service.GetJobAsync(http.User.Actor(), team, job, ct));
        jobs.MapPost("/", async (string team, JobInput body, HttpContext http, LaunchService service, CancellationToken ct) =>
        {
            var created = await service.CreateJobAsync(http.User.Actor(), team, body, ct);
            return Results.Created($"{ApiEndpoints.Prefix}/teams/{team}/launch/jobs/{created.Job.Name}", created);
        });
        jobs.MapPost("/{job}/versions", async (string team, string job, JobVersionInput body, HttpContext http, LaunchService service, CancellationToken ct) =>
        {
            var created = await service.AddVersionAsync(http.User.Actor(), team, job, body, ct);
            return Results.Created($"{ApiEndpoints.Prefix}/teams/{team}/launch/jobs/{job}", created);
        });
        jobs.MapDelete("/{job}", async (string team, string job, HttpContext http, LaunchService service, CancellationToken ct) =>
        {
            await service.DeleteJobAsync(http.User.Actor(), team, job, ct);
            return Results.NoContent();
        });

        var queues = endpoints.MapApiGroup("teams/{team}/launch/queues", "Launch queues");
        queues.MapGet("/", (string team, HttpContext http, LaunchService service, CancellationToken ct) =>
            service.ListQueuesAsync(http.User.Actor(), team, ct));
        queues.MapGet("/{queue}", (string team, string queue, HttpContext http, LaunchService service, CancellationToken ct) =>
            service.GetQueueAsync(http.User.Actor(), team, queue, ct));
        queues.MapPost("/", async (string team, QueueInput body, HttpContext http, LaunchService service, CancellationToken ct) =>
        {
            var created = await service.CreateQueueAsync(http.User.Actor(), team, body, ct);
            return Results.Created($"{ApiEndpoints.Prefix}/teams/{team}/launch/queues/{created.Name}", created);
        });
        queues.MapDelete("/{queue}", async (string team, string queue, HttpContext http, LaunchService service, CancellationToken ct) =>
        {
            await service.DeleteQueueAsync(http.User.Actor(), team, queue, ct);
            return Results.NoContent();
        });
        queues.MapGet("/{queue}/runs", (string team, string queue, HttpContext http, LaunchService service, CancellationToken ct,
                LaunchRunStatus? status = null, int page = 1, int pageSize = 50) =>
            service.ListRunsAsync(http.User.Actor(), team, queue, status, page, pageSize, ct));
        queues.MapPost("/{queue}/runs", async (string team, string queue, LaunchRequest body, HttpContext http, LaunchService service, CancellationToken ct) =>
        {
            var created = await service.LaunchAsync(http.User.Actor(), team, queue, body, ct);
            return Results.Created($"{ApiEndpoints.Prefix}/teams/{team}/launch/runs/{created.Id}", created);
        });
        // The agent protocol: 200 with a run, or 204 when the queue is empty.
        queues.MapPost("/{queue}/claim", async (string team, string queue, AgentRequest body, HttpContext http, LaunchService service, CancellationToken ct) =>
            await service.ClaimAsync(http.User.Actor(), team, queue, body.AgentId, ct) is { } run ? Results.Ok(run) : Results.NoContent())
            .Produces<ClaimedRun>().Produces(StatusCodes.Status204NoContent);

        var runs = endpoints.MapApiGroup("teams/{team}/launch/runs", "Launch runs");
        runs.MapGet("/", (string team, HttpContext http, LaunchService service, CancellationToken ct,
                LaunchRunStatus? status = null, int page = 1, int pageSize = 50) =>
            service.ListRunsAsync(http.User.Actor(), team, null, status, page, pageSize, ct));
        runs.MapGet("/{id:long}", (string team, long id, HttpContext http, LaunchService service, CancellationToken ct) =>
            service.GetRunAsync(http.User.Actor(), team, id, ct));
        runs.MapPost("/{id:long}/cancel", (string team, long id, HttpContext http, LaunchService service, CancellationToken ct) =>
            service.CancelAsync(http.User.Actor(), team, id, ct));
        runs.MapPost("/{id:long}/status", (string team, long id, StatusReport body, HttpContext http, LaunchService service, CancellationToken ct) =>
            service.ReportStatusAsync(http.User.Actor(), team, id, body, ct));
        runs.MapPost("/{id:long}/output", (string team, long id, OutputChunk body, HttpContext http, LaunchService service, CancellationToken ct) =>
            service.AppendOutputAsync(http.User.Actor(), team, id, body, ct));

        var agents = endpoints.MapApiGroup("teams/{team}/launch/agents", "Launch agents");
        agents.MapGet("/", (string team, HttpContext http, LaunchService service, CancellationToken ct) =>
            service.ListAgentsAsync(http.User.Actor(), team, ct));
        agents.MapPost("/", async (string team, AgentRegistration body, HttpContext http, LaunchService service, CancellationToken ct) =>
        {
            var registered = await service.RegisterAgentAsync(http.User.Actor(), team, body, ct);
            return Results.Created($"{ApiEndpoints.Prefix}/teams/{team}/launch/agents/{registered.AgentId}", registered);
        });
        agents.MapPost("/{id:int}/heartbeat", (string team, int id, HttpContext http, LaunchService service, CancellationToken ct) =>
            service.HeartbeatAsync(http.User.Actor(), team, id, ct));
        agents.MapPost("/{id:int}/stop", async (string team, int id, HttpContext http, LaunchService service, CancellationToken ct) =>
        {
            await service.StopAgentAsync(http.User.Actor(), team, id, ct);
            return Results.NoContent();
        });
        return endpoints;
    }
}
