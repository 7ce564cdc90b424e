using Automations.Infrastructure.Api;
using Automations.Infrastructure;

namespace Automations.Features.Secrets;

public static class SecretsModule
{
    public static IServiceCollection AddSecrets(this IServiceCollection services) => services.AddScoped<SecretService>();

    public sealed record CreateSecretRequest(string Name, string Value);

    public sealed record ReplaceSecretRequest(string Value);

    public static IEndpointRouteBuilder MapSecrets(this IEndpointRouteBuilder endpoints)
    {
        var secrets = endpoints.MapApiGroup("teams/{team}/secrets", "Team secrets");
        secrets.MapGet("/", (string team, Actor actor, SecretService service, CancellationToken ct) =>
            service.ListAsync(actor, team, ct));
        secrets.MapPost("/", async (string team, CreateSecretRequest body, Actor actor, SecretService service, CancellationToken ct) =>
        {
            var created = await service.CreateAsync(actor, team, body.Name, body.Value, ct);
            return Results.Created($"{ApiEndpoints.Prefix}/teams/{team}/secrets/{created.Name}", created);
        });
        secrets.MapPut("/{name}", async (string team, string name, ReplaceSecretRequest body, Actor actor, SecretService service, CancellationToken ct) =>
        {
            await service.ReplaceAsync(actor, team, name, body.Value, ct);
            return Results.NoContent();
        });
        secrets.MapDelete("/{name}", async (string team, string name, Actor actor, SecretService service, CancellationToken ct) =>
        {
            await service.DeleteAsync(actor, team, name, ct);
            return Results.NoContent();
        });
        return endpoints;
    }
}
