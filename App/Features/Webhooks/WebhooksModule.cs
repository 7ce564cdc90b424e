using Automations.Features.Automations.Actions;
using Automations.Features.Automations;
using Automations.Infrastructure.Api;
using Automations.Infrastructure;

namespace Automations.Features.Webhooks;

public static class WebhooksModule
{
    public static IServiceCollection AddWebhooks(this IServiceCollection services)
    {
        services.AddOptions<WebhookTestLimitOptions>().BindConfiguration(WebhookTestLimitOptions.Section);
        services.AddAutomationAction<WebhookAction>(ActionTypes.Webhook);
        return services.AddScoped<WebhookService>().AddSingleton<WebhookSender>().AddSingleton<WebhookTestLimiter>();
    }

    public static IEndpointRouteBuilder MapWebhooks(this IEndpointRouteBuilder endpoints)
    {
        var hooks = endpoints.MapApiGroup("teams/{team}/webhooks", "Webhooks");
        hooks.MapGet("/", (string team, Actor actor, WebhookService service, CancellationToken ct) =>
            service.ListAsync(actor, team, ct));
        hooks.MapGet("/{id:int}", (string team, int id, Actor actor, WebhookService service, CancellationToken ct) =>
            service.GetAsync(actor, team, id, ct));
        hooks.MapPost("/", async (string team, WebhookInput body, Actor actor, WebhookService service, CancellationToken ct) =>
        {
            var created = await service.CreateAsync(actor, team, body, ct);
            return Results.Created($"{ApiEndpoints.Prefix}/teams/{team}/webhooks/{created.Id}", created);
        });
        hooks.MapPut("/{id:int}", (string team, int id, WebhookInput body, Actor actor, WebhookService service, CancellationToken ct) =>
            service.UpdateAsync(actor, team, id, body, ct));
        hooks.MapDelete("/{id:int}", async (string team, int id, Actor actor, WebhookService service, CancellationToken ct) =>
        {
            await service.DeleteAsync(actor, team, id, ct);
            return Results.NoContent();
        });
        hooks.MapPost("/{id:int}/enable", async (string team, int id, Actor actor, WebhookService service, CancellationToken ct) =>
        {
            await service.EnableAsync(actor, team, id, ct);
            return Results.NoContent();
        });
        // The body is the payload to send, exactly as given.
        hooks.MapPost("/{id:int}/test", async (string team, int id, Actor actor, HttpContext http, WebhookService service, CancellationToken ct) =>
        {
            using var reader = new StreamReader(http.Request.Body);
            var payload = await reader.ReadToEndAsync(ct);
            return await service.TestAsync(actor, team, id, payload, ct);
        }).Accepts<object>("application/json");
        return endpoints;
    }
}
