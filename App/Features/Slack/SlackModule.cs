using Automations.Features.Automations.Actions;
using Automations.Infrastructure;
using Automations.Infrastructure.Api;

namespace Automations.Features.Slack;

/// <summary>Slack integrations (Team Settings → Slack) and the Slack notification action.</summary>
public static class SlackModule
{
    public static IServiceCollection AddSlack(this IServiceCollection services)
    {
        services.AddOptions<SlackOptions>().BindConfiguration(SlackOptions.Section);
        services.AddAutomationAction<SlackAction>(SlackAction.TypeName);
        return services.AddScoped<SlackService>().AddSingleton<SlackClient>();
    }

    public static IEndpointRouteBuilder MapSlack(this IEndpointRouteBuilder endpoints)
    {
        var group = endpoints.MapApiGroup("teams/{team}/slack-integrations", "Slack integrations");
        group.MapGet("/", (string team, Actor actor, SlackService service, CancellationToken ct) =>
            service.ListAsync(actor, team, ct));
        group.MapGet("/{id:int}", (string team, int id, Actor actor, SlackService service, CancellationToken ct) =>
            service.GetAsync(actor, team, id, ct));
        group.MapPost("/", async (string team, SlackIntegrationInput body, Actor actor, SlackService service, CancellationToken ct) =>
        {
            var created = await service.CreateAsync(actor, team, body, ct);
            return Results.Created($"{ApiEndpoints.Prefix}/teams/{team}/slack-integrations/{created.Id}", created);
        });
        group.MapPut("/{id:int}", (string team, int id, SlackIntegrationInput body, Actor actor, SlackService service, CancellationToken ct) =>
            service.UpdateAsync(actor, team, id, body, ct));
        group.MapDelete("/{id:int}", async (string team, int id, Actor actor, SlackService service, CancellationToken ct) =>
        {
            await service.DeleteAsync(actor, team, id, ct);
            return Results.NoContent();
        });
        group.MapPost("/{id:int}/test", (string team, int id, Actor actor, SlackService service, CancellationToken ct) =>
            service.TestAsync(actor, team, id, ct));
        return endpoints;
    }
}
