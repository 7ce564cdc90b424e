using Automations.Infrastructure.Api;
using Automations.Infrastructure;

namespace Automations.Features.ApiKeys;

public static class ApiKeysModule
{
    public static IServiceCollection AddApiKeys(this IServiceCollection services) => services.AddScoped<ApiKeyService>();

    /// <summary>Keys are created on the account page (a key cannot mint keys); the API can list and revoke them.</summary>
    public static IEndpointRouteBuilder MapApiKeys(this IEndpointRouteBuilder endpoints)
    {
        var keys = endpoints.MapApiGroup("api-keys", "API keys");
        keys.MapGet("/", (Actor actor, ApiKeyService service, CancellationToken ct) => service.ListAsync(actor, ct));
        keys.MapDelete("/{id:int}", async (int id, Actor actor, ApiKeyService service, CancellationToken ct) =>
        {
            await service.RevokeAsync(actor, id, ct);
            return Results.NoContent();
        });
        return endpoints;
    }
}
