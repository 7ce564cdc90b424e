using Automations.Infrastructure.Api;
using Automations.Infrastructure;

namespace Automations.Features.Teams;

public static class TeamsModule
{
    public static IServiceCollection AddTeams(this IServiceCollection services) =>
        services.AddScoped<TeamService>().AddScoped<InstanceSetup>().AddScoped<DemoSeeder>();

    public sealed record CreateTeamRequest(string Name, string? Slug);

    public sealed record AddMemberRequest(string User, TeamRole Role = TeamRole.Member);

    public sealed record ChangeRoleRequest(TeamRole Role);

    public static IEndpointRouteBuilder MapTeams(this IEndpointRouteBuilder endpoints)
    {
        var teams = endpoints.MapApiGroup("teams", "Teams");
        teams.MapGet("/", (Actor actor, TeamService service, CancellationToken ct) =>
            service.ListMineAsync(actor, ct));
        teams.MapPost("/", async (CreateTeamRequest body, Actor actor, TeamService service, CancellationToken ct) =>
        {
            var team = await service.CreateAsync(actor, body.Name, body.Slug, ct);
            return Results.Created($"{ApiEndpoints.Prefix}/teams/{team.Slug}", team);
        });
        teams.MapGet("/{team}", (string team, Actor actor, TeamService service, CancellationToken ct) =>
            service.GetAccessAsync(actor, team, ct));
        teams.MapGet("/{team}/members", (string team, Actor actor, TeamService service, CancellationToken ct) =>
            service.ListMembersAsync(actor, team, ct));
        teams.MapPost("/{team}/members", async (string team, AddMemberRequest body, Actor actor, TeamService service, CancellationToken ct) =>
            Results.Created($"{ApiEndpoints.Prefix}/teams/{team}/members", await service.AddMemberAsync(actor, team, body.User, body.Role, ct)));
        teams.MapPut("/{team}/members/{userId}", async (string team, string userId, ChangeRoleRequest body, Actor actor, TeamService service, CancellationToken ct) =>
        {
            await service.ChangeRoleAsync(actor, team, userId, body.Role, ct);
            return Results.NoContent();
        });
        teams.MapDelete("/{team}/members/{userId}", async (string team, string userId, Actor actor, TeamService service, CancellationToken ct) =>
        {
            await service.RemoveMemberAsync(actor, team, userId, ct);
            return Results.NoContent();
        });
        return endpoints;
    }
}

public static class DemoSeedExtensions
{
    public static async Task SeedDemoAsync(this WebApplication app)
    {
        await using var scope = app.Services.CreateAsyncScope();
        var created = await scope.ServiceProvider.GetRequiredService<DemoSeeder>().SeedAsync();
        foreach (var (email, password) in created)
        {
            // Printed once, to the console only; never logged to a file or stored.
            Console.WriteLine($"Demo account: {email}  password: {password}");
        }
    }
}
