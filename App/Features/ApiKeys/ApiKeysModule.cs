using Automations.Infrastructure.Api;
using Automations.Infrastructure;

namespace Automations.Features.ApiKeys;

public static class ApiKeysModule
{
    public static IServiceCollection AddApiKeys(this IServiceCollection services) =>
        services.AddScoped<ApiKeyService>().AddScoped<ServiceKeyService>();

    /// <summary>
    /// Personal keys are created on the account page (a key cannot mint personal keys); the API can list and revoke them.
    /// A team's service keys are managed by its admins, on Team Settings or here.
    /// </summary>
    public static IEndpointRouteBuilder MapApiKeys(this IEndpointRouteBuilder endpoints)
    {
        var keys = endpoints.MapApiGroup("api-keys", "API keys");
        keys.MapGet("/", (Actor actor, ApiKeyService service, CancellationToken ct) => service.ListAsync(actor, ct));
        keys.MapDelete("/{id:int}", async (int id, Actor actor, ApiKeyService service, CancellationToken ct) =>
        {
            await service.RevokeAsync(actor, id, ct);
            return Results.NoContent();
        }).RequiresKey(KeyPermission.Admin);

        var serviceKeys = endpoints.MapApiGroup("teams/{team}/service-keys", "Service keys");
        serviceKeys.MapGet("/", (string team, Actor actor, ServiceKeyService service, CancellationToken ct) => service.ListAsync(actor, team, ct));
        serviceKeys.MapPost("/", async (string team, ServiceKeyInput body, Actor actor, ServiceKeyService service, CancellationToken ct) =>
        {
            var created = await service.CreateAsync(actor, team, body, ct);
            return Results.Created($"{ApiEndpoints.Prefix}/teams/{team}/service-keys/{created.Summary.Id}", created);
        }).RequiresKey(KeyPermission.Admin).WithSummary("Create a service key").WithDescription("The key is in the answer's 'key' field, once; only its hash is stored.");
        serviceKeys.MapDelete("/{id:int}", async (string team, int id, Actor actor, ServiceKeyService service, CancellationToken ct) =>
        {
            await service.RevokeAsync(actor, team, id, ct);
            return Results.NoContent();
        }).RequiresKey(KeyPermission.Admin);
        return endpoints;
    }
}
