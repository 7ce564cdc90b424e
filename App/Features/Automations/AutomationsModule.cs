using Automations.Infrastructure.Api;

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
        group.MapGet("/", (string team, string project, HttpContext http, AutomationService service, CancellationToken ct) =>
            service.ListAsync(http.User.Actor(), team, project, ct));
        group.MapGet("/{id:int}", (string team, string project, int id, HttpContext http, AutomationService service, CancellationToken ct) =>
            service.GetAsync(http.User.Actor(), team, project, id, ct));
        group.MapPost("/", async (string team, string project, AutomationInput body, HttpContext http, AutomationService service, CancellationToken ct) =>
        {
            var created = await service.CreateAsync(http.User.Actor(), team, project, body, ct);
            return Results.Created($"{ApiEndpoints.Prefix}/teams/{team}/projects/{project}/automations/{created.Summary.Id}", created);
        });
        group.MapPut("/{id:int}", (string team, string project, int id, AutomationInput body, HttpContext http, AutomationService service, CancellationToken ct) =>
            service.UpdateAsync(http.User.Actor(), team, project, id, body, ct));
        group.MapPut("/{id:int}/enabled", async (string team, string project, int id, EnabledRequest body, HttpContext http, AutomationService service, CancellationToken ct) =>
        {
            await service.SetEnabledAsync(http.User.Actor(), team, project, id, body.Enabled, ct);
            return Results.NoContent();
        });
        group.MapDelete("/{id:int}", async (string team, string project, int id, HttpContext http, AutomationService service, CancellationToken ct) =>
        {
            await service.DeleteAsync(http.User.Actor(), team, project, id, ct);
            return Results.NoContent();
        });
        group.MapPost("/preview", (string team, string project, PreviewRequest body, HttpContext http, AutomationService service, CancellationToken ct) =>
            service.PreviewAsync(http.User.Actor(), team, project, body.EventType, body.Collection, body.AliasPattern, body.PayloadTemplate, ct));
        return endpoints;
    }
}

/// <summary>The payload editor is Monaco in browsers; component tests swap in a plain text area.</summary>
public sealed class JsonEditorOptions
{
    public bool UseMonaco { get; init; } = true;
}
