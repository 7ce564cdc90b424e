using Automations.Infrastructure.Api;
using Automations.Infrastructure;
using Microsoft.AspNetCore.Mvc;

namespace Automations.Features.Artifacts;

public static class ArtifactsModule
{
    public static IServiceCollection AddArtifacts(this IServiceCollection services) => services.AddScoped<ArtifactService>();

    public sealed record CreateProjectRequest(string Name, string? Description);

    public sealed record CreateCollectionRequest(string Name, string Type, string? Description);

    public sealed record AddAliasRequest(string Alias);

    public static IEndpointRouteBuilder MapArtifacts(this IEndpointRouteBuilder endpoints)
    {
        var projects = endpoints.MapApiGroup("teams/{team}/projects", "Artifacts");
        projects.MapGet("/", (string team, Actor actor, ArtifactService service, CancellationToken ct) =>
            service.ListProjectsAsync(actor, team, ct));
        projects.MapPost("/", async (string team, CreateProjectRequest body, Actor actor, ArtifactService service, CancellationToken ct) =>
        {
            var created = await service.CreateProjectAsync(actor, team, body.Name, body.Description, ct);
            return Results.Created($"{ApiEndpoints.Prefix}/teams/{team}/projects/{created.Name}", created);
        });
        projects.MapGet("/{project}", async (string team, string project, Actor actor, ArtifactService service, CancellationToken ct) =>
        {
            var access = await service.GetProjectAsync(actor, team, project, ct);
            return new { access.ProjectId, access.Name, access.Description, Team = access.Team.Slug, Role = access.Team.Role };
        });

        var collections = projects.MapGroup("/{project}/collections");
        collections.MapGet("/", (string team, string project, Actor actor, ArtifactService service, CancellationToken ct) =>
            service.ListCollectionsAsync(actor, team, project, ct));
        collections.MapPost("/", async (string team, string project, CreateCollectionRequest body, Actor actor, ArtifactService service, CancellationToken ct) =>
        {
            var created = await service.CreateCollectionAsync(actor, team, project, body.Name, body.Type, body.Description, ct);
            return Results.Created($"{ApiEndpoints.Prefix}/teams/{team}/projects/{project}/collections/{created.Name}", created);
        }).RequiresKey(KeyPermission.Artifacts);
        collections.MapGet("/{collection}", (string team, string project, string collection, Actor actor, ArtifactService service, CancellationToken ct) =>
            service.GetCollectionAsync(actor, team, project, collection, ct));

        var versions = collections.MapGroup("/{collection}/versions");
        versions.MapGet("/", (string team, string project, string collection, Actor actor, ArtifactService service, CancellationToken ct, [AsParameters] PageRequest paging) =>
            service.ListVersionsAsync(actor, team, project, collection, paging, ct));
        versions.MapPost("/", async (string team, string project, string collection, LogVersionRequest body, Actor actor, ArtifactService service,
            [FromHeader(Name = "Idempotency-Key")] string? idempotencyKey, CancellationToken ct) =>
        {
            var logged = await service.LogVersionAsync(actor, team, project, collection, body, idempotencyKey, ct);
            var location = $"{ApiEndpoints.Prefix}/teams/{team}/projects/{project}/collections/{collection}/versions/{logged.Version.Version}";
            return logged.Created ? Results.Created(location, logged.Version) : Results.Ok(logged.Version);
        }).RequiresKey(KeyPermission.Artifacts).WithSummary("Log a version").WithDescription("Send Idempotency-Key to make retries safe: a repeat returns the first result (200) and creates nothing.");
        versions.MapGet("/{reference}", (string team, string project, string collection, string reference, Actor actor, ArtifactService service, CancellationToken ct) =>
            service.GetVersionAsync(actor, team, project, collection, reference, ct));
        versions.MapPost("/{reference}/aliases", (string team, string project, string collection, string reference, AddAliasRequest body, Actor actor, ArtifactService service, CancellationToken ct) =>
            service.AddAliasAsync(actor, team, project, collection, reference, body.Alias, ct)).RequiresKey(KeyPermission.Artifacts);
        versions.MapDelete("/{reference}/aliases/{alias}", (string team, string project, string collection, string reference, string alias, Actor actor, ArtifactService service, CancellationToken ct) =>
            service.RemoveAliasAsync(actor, team, project, collection, reference, alias, ct)).RequiresKey(KeyPermission.Artifacts);

        projects.MapGet("/{project}/events", (string team, string project, Actor actor, ArtifactService service, CancellationToken ct, [AsParameters] PageRequest paging) =>
            service.ListEventsAsync(actor, team, project, paging, ct));
        return endpoints;
    }
}
