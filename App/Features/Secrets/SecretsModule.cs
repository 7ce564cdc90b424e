using Automations.Infrastructure.Api;

namespace Automations.Features.Secrets;

public static class SecretsModule
{
    public static IServiceCollection AddSecrets(this IServiceCollection services) => services.AddScoped<SecretService>();

    public sealed record CreateSecretRequest(string Name, string Value);

    public sealed record ReplaceSecretRequest(string Value);

    public static IEndpointRouteBuilder MapSecrets(this IEndpointRouteBuilder endpoints)
    {
        var secrets = endpoints.MapApiGroup("teams/{team}/secrets", "Team secrets");
        secrets.MapGet("/", (string team, HttpContext http, SecretService service, CancellationToken ct) =>
            service.ListAsync(http.User.Actor(), team, ct));
        secrets.MapPost("/", async (string team, CreateSecretRequest body, HttpContext http, SecretService service, CancellationToken ct) =>
        {
            var created = await service.CreateAsync(http.User.Actor(), team, body.Name, body.Value, ct);
            return Results.Created($"{ApiEndpoints.Prefix}/teams/{team}/secrets/{created.Name}", created);
        });
        secrets.MapPut("/{name}", async (string team, string name, ReplaceSecretRequest body, HttpContext http, SecretService service, CancellationToken ct) =>
        {
            await service.ReplaceAsync(http.User.Actor(), team, name, body.Value, ct);
            return Results.NoContent();
        });
        secrets.MapDelete("/{name}", async (string team, string name, HttpContext http, SecretService service, CancellationToken ct) =>
        {
            await service.DeleteAsync(http.User.Actor(), team, name, ct);
            return Results.NoContent();
        });
        return endpoints;
    }
}
