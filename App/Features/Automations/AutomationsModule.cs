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
        var group = endpoints.MapApiGroup("teams/{team}/projects/{project}/automations", "Automations");
        group.MapGet("/", (string team, string project, Actor actor, AutomationService service, CancellationToken ct) =>
            service.ListAsync(actor, team, project, ct));
        group.MapGet("/{id:int}", (string team, string project, int id, Actor actor, AutomationService service, CancellationToken ct) =>
            service.GetAsync(actor, team, project, id, ct));
        group.MapPost("/", async (string team, string project, AutomationInput body, Actor actor, AutomationService service, CancellationToken ct) =>
        {
            var created = await service.CreateAsync(actor, team, project, body, ct);
            return Results.Created($"{ApiEndpoints.Prefix}/teams/{team}/projects/{project}/automations/{created.Summary.Id}", created);
        });
        group.MapPut("/{id:int}", (string team, string project, int id, AutomationInput body, Actor actor, AutomationService service, CancellationToken ct) =>
            service.UpdateAsync(actor, team, project, id, body, ct));
        group.MapPut("/{id:int}/enabled", async (string team, string project, int id, EnabledRequest body, Actor actor, AutomationService service, CancellationToken ct) =>
        {
            await service.SetEnabledAsync(actor, team, project, id, body.Enabled, ct);
            return Results.NoContent();
        });
        group.MapDelete("/{id:int}", async (string team, string project, int id, Actor actor, AutomationService service, CancellationToken ct) =>
        {
            await service.DeleteAsync(actor, team, project, id, ct);
            return Results.NoContent();
        });
        group.MapPost("/preview", (string team, string project, PreviewRequest body, Actor actor, AutomationService service, CancellationToken ct) =>
            service.PreviewAsync(actor, team, project, body.EventType, body.Collection, body.AliasPattern, body.PayloadTemplate, ct));
        return endpoints;
    }
}

/// <summary>The payload editor is Monaco in browsers; component tests swap in a plain text area.</summary>
public sealed class JsonEditorOptions
{
    public bool UseMonaco { get; init; } = true;
}
