using Automations.Infrastructure;
using Automations.Infrastructure.Api;
using Microsoft.AspNetCore.Mvc;

namespace Automations.Features.Audit;

public static class AuditModule
{
    public static IServiceCollection AddAudit(this IServiceCollection services) => services.AddScoped<AuditService>();

    public static IEndpointRouteBuilder MapAudit(this IEndpointRouteBuilder endpoints)
    {
        var audit = endpoints.MapApiGroup("teams/{team}/audit", "Audit log");
        audit.MapGet("/", ListAsync);
        return endpoints;
    }

    /// <summary><c>GET /api/v1/teams/{team}/audit?action=&amp;actor=&amp;targetType=&amp;from=&amp;to=&amp;q=&amp;after=&amp;pageSize=</c>: team admins only.</summary>
    private static Task<Paged<AuditEntryView>> ListAsync(string team, Actor actor, AuditService service, CancellationToken ct, [AsParameters] PageRequest paging,
        string? action = null, [FromQuery(Name = "actor")] string? actorName = null, string? targetType = null, DateTimeOffset? from = null, DateTimeOffset? to = null, string? q = null) =>
        service.ListAsync(actor, team, new AuditFilter(action, actorName, targetType, from, to, q), paging, ct);
}
