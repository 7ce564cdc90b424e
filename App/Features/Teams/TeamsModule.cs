using Automations.Infrastructure.Api;

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
        teams.MapGet("/", (HttpContext http, TeamService service, CancellationToken ct) =>
            service.ListMineAsync(http.User.Actor(), ct));
        teams.MapPost("/", async (CreateTeamRequest body, HttpContext http, TeamService service, CancellationToken ct) =>
        {
            var team = await service.CreateAsync(http.User.Actor(), body.Name, body.Slug, ct);
            return Results.Created($"{ApiEndpoints.Prefix}/teams/{team.Slug}", team);
        });
        teams.MapGet("/{team}", (string team, HttpContext http, TeamService service, CancellationToken ct) =>
            service.GetAccessAsync(http.User.Actor(), team, ct));
        teams.MapGet("/{team}/members", (string team, HttpContext http, TeamService service, CancellationToken ct) =>
            service.ListMembersAsync(http.User.Actor(), team, ct));
        teams.MapPost("/{team}/members", async (string team, AddMemberRequest body, HttpContext http, TeamService service, CancellationToken ct) =>
            Results.Created($"{ApiEndpoints.Prefix}/teams/{team}/members", await service.AddMemberAsync(http.User.Actor(), team, body.User, body.Role, ct)));
        teams.MapPut("/{team}/members/{userId}", async (string team, string userId, ChangeRoleRequest body, HttpContext http, TeamService service, CancellationToken ct) =>
        {
            await service.ChangeRoleAsync(http.User.Actor(), team, userId, body.Role, ct);
            return Results.NoContent();
        });
        teams.MapDelete("/{team}/members/{userId}", async (string team, string userId, HttpContext http, TeamService service, CancellationToken ct) =>
        {
            await service.RemoveMemberAsync(http.User.Actor(), team, userId, ct);
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
