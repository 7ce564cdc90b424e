using Automations.Infrastructure.Api;
using Automations.Infrastructure;

namespace Automations.Features.Automations;

public static class AutomationsModule
{
    public static IServiceCollection AddAutomations(this IServiceCollection services)
    {
        services.AddScoped<AutomationService>();
        services.AddOptions<AutomationOptions>().BindConfiguration(AutomationOptions.Section);
        services.AddSingleton(new JsonEditorOptions());
        return services;
    }

    public sealed record EnabledRequest(bool Enabled);

    public sealed record PreviewRequest(string EventType, string? Collection, string? AliasPattern, string? PayloadTemplate);

    public static IEndpointRouteBuilder MapAutomations(this IEndpointRouteBuilder endpoints)
    {
        // A project's automations; members manage them.
        MapScope(endpoints.MapApiGroup("teams/{team}/projects/{project}/automations", "Automations"), "teams/{0}/projects/{1}/automations/{2}");

        // The team's: GET lists every automation of the team (project and team scope, filtered); the rest manage
        // team-scoped ones, which watch every project and which only team admins change.
        var team = endpoints.MapApiGroup("teams/{team}/automations", "Automations");
        team.MapGet("/", async (string team, [AsParameters] AutomationFilter filter, int? page, int? pageSize, Actor actor, HttpContext http, AutomationService service, CancellationToken ct) =>
            http.WithPagingHeaders(await service.ListTeamPageAsync(actor, team, filter, new PageRequest(page ?? 1, pageSize ?? AutomationService.MaxListPage), ct)));
        MapScope(team, "teams/{0}/automations/{2}", listed: false);
        return endpoints;
    }

    /// <summary>The same routes for both scopes: <c>project</c> is a route value in one and absent (team scope) in the other.</summary>
    private static void MapScope(RouteGroupBuilder group, string location, bool listed = true)
    {
        static string? Project(HttpContext http) => http.GetRouteValue("project") as string;
        if (listed)
        {
            // A plain array, as always; the page is in the headers (Link rel="next", X-Total-Count).
            group.MapGet("/", async (string team, int? page, int? pageSize, string? after, HttpContext http, Actor actor, AutomationService service, CancellationToken ct) =>
                http.WithPagingHeaders(await service.ListPageAsync(actor, team, Project(http)!, new PageRequest(page ?? 1, pageSize ?? AutomationService.MaxListPage, after), ct)));
        }

        group.MapGet("/{id:int}", (string team, int id, HttpContext http, Actor actor, AutomationService service, CancellationToken ct) =>
            service.GetAsync(actor, team, Project(http), id, ct));
        group.MapPost("/", async (string team, AutomationInput body, HttpContext http, Actor actor, AutomationService service, CancellationToken ct) =>
        {
            var created = await service.CreateAsync(actor, team, Project(http), body, ct);
            return Results.Created(ApiEndpoints.Prefix + "/" + string.Format(System.Globalization.CultureInfo.InvariantCulture, location, team, Project(http), created.Summary.Id), created);
        });
        group.MapPut("/{id:int}", (string team, int id, AutomationInput body, HttpContext http, Actor actor, AutomationService service, CancellationToken ct) =>
            service.UpdateAsync(actor, team, Project(http), id, body, ct));
        group.MapPut("/{id:int}/enabled", async (string team, int id, EnabledRequest body, HttpContext http, Actor actor, AutomationService service, CancellationToken ct) =>
        {
            await service.SetEnabledAsync(actor, team, Project(http), id, body.Enabled, ct);
            return Results.NoContent();
        });
        group.MapDelete("/{id:int}", async (string team, int id, HttpContext http, Actor actor, AutomationService service, CancellationToken ct) =>
        {
            await service.DeleteAsync(actor, team, Project(http), id, ct);
            return Results.NoContent();
        });
        group.MapPost("/preview", (string team, PreviewRequest body, HttpContext http, Actor actor, AutomationService service, CancellationToken ct) =>
            service.PreviewAsync(actor, team, Project(http), body.EventType, body.Collection, body.AliasPattern, body.PayloadTemplate, ct)).RequiresKey(KeyPermission.Read);
    }
}

/// <summary>The payload editor is Monaco in browsers; component tests swap in a plain text area.</summary>
public sealed class JsonEditorOptions
{
    public bool UseMonaco { get; init; } = true;
}
