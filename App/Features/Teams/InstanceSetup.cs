using System.Security.Claims;
using System.Security.Cryptography;
using Automations.Data;
using Automations.Infrastructure;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Automations.Features.Teams;

/// <summary>Makes a fresh install usable without editing files: the first account runs the instance.</summary>
public sealed class InstanceSetup(IDbContextFactory<AppDbContext> dbFactory, TeamService teams)
{
    public async Task<bool> IsFirstRunAsync(CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        return !await db.Users.AnyAsync(ct);
    }

    /// <summary>
    /// Called right after an account is created. The first account becomes the instance administrator and
    /// the admin of the team it named.
    /// </summary>
    public async Task CompleteRegistrationAsync(ApplicationUser user, string? firstTeamName, ActorOrigin? origin = null, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        if (await db.Users.AnyAsync(u => u.IsInstanceAdmin, ct))
        {
            return;
        }

        await db.Users.Where(u => u.Id == user.Id).ExecuteUpdateAsync(s => s.SetProperty(u => u.IsInstanceAdmin, true), ct);
        user.IsInstanceAdmin = true;
        if (!string.IsNullOrWhiteSpace(firstTeamName))
        {
            // The registration's request is where the first team came from, for its audit log.
            await teams.CreateAsync(new Actor(user.Id, user.UserName ?? user.Id, true) { Origin = origin }, firstTeamName, null, ct);
        }
    }
}

/// <summary>Puts the instance-admin flag into the sign-in cookie.</summary>
public sealed class AppClaimsPrincipalFactory(UserManager<ApplicationUser> userManager, IOptions<IdentityOptions> options)
    : UserClaimsPrincipalFactory<ApplicationUser>(userManager, options)
{
    protected override async Task<ClaimsIdentity> GenerateClaimsAsync(ApplicationUser user)
    {
        var identity = await base.GenerateClaimsAsync(user);
        if (user.IsInstanceAdmin)
        {
            identity.AddClaim(new Claim(Actor.InstanceAdminClaim, "true"));
        }

        return identity;
    }
}

/// <summary><c>--seed-demo</c>: a demo team with an admin, a member and a project; passwords generated and printed once.</summary>
public sealed class DemoSeeder(UserManager<ApplicationUser> users, TeamService teams, Artifacts.ArtifactService artifacts, Launch.JobService jobService, Launch.QueueService queueService, ILogger<DemoSeeder> logger)
{
    public const string TeamSlug = "demo";

    public async Task<IReadOnlyList<(string Email, string Password)>> SeedAsync(CancellationToken ct = default)
    {
        if (await users.FindByEmailAsync("admin@demo.example") is not null)
        {
            logger.LogInformation("Demo data already exists; passwords were printed when it was created.");
            return [];
        }

        var created = new List<(string, string)>();
        var admin = await CreateUserAsync("admin@demo.example", created);
        var member = await CreateUserAsync("member@demo.example", created);
        var adminActor = new Actor(admin.Id, admin.UserName!) { Origin = new ActorOrigin(null, null, "--seed-demo") };
        await teams.CreateAsync(adminActor, "Demo team", TeamSlug, ct);
        await teams.AddMemberAsync(adminActor, TeamSlug, member.Email!, TeamRole.Member, ct);
        await artifacts.CreateProjectAsync(adminActor, TeamSlug, "quickstart", "Demo project: log versions here through the API.", ct);
        // A queue and a job that prints its configuration: start an agent on "local" and launch it.
        await queueService.CreateQueueAsync(adminActor, TeamSlug, new Launch.QueueInput("local", "Runs on the machine of whoever starts an agent"), ct);
        await jobService.CreateJobAsync(adminActor, TeamSlug, new Launch.JobInput("print-config", "Prints the run's configuration file", new Launch.JobVersionInput(
            "/bin/sh", ["-c", "echo \"run $AUTOMATIONS_RUN_ID of $AUTOMATIONS_JOB $AUTOMATIONS_JOB_VERSION\"; cat \"$AUTOMATIONS_RUN_CONFIG\""],
            DefaultConfig: new System.Text.Json.Nodes.JsonObject { ["learning_rate"] = 0.01, ["epochs"] = 3 })), ct);
        return created;
    }

    private async Task<ApplicationUser> CreateUserAsync(string email, List<(string, string)> created)
    {
        var password = "Demo-" + Convert.ToBase64String(RandomNumberGenerator.GetBytes(12)).Replace('/', 'x').Replace('+', 'y');
        var user = new ApplicationUser { UserName = email, Email = email, EmailConfirmed = true };
        var result = await users.CreateAsync(user, password);
        if (!result.Succeeded)
        {
            throw new InvalidOperationException(string.Join("; ", result.Errors.Select(e => e.Description)));
        }

        created.Add((email, password));
        return user;
    }
}
