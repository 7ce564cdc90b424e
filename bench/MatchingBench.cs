using System.Diagnostics;
using Automations.Data;
using Automations.Features.Artifacts;
using Automations.Features.Automations;
using Automations.Features.Webhooks;
using Microsoft.EntityFrameworkCore;

namespace Automations.Bench;

/// <summary>
/// Matching an event against its project's automations must cost about the same whether the database
/// holds 10 automations or 10,000 more in other projects; with team-wide automations, whether the team has
/// 100 projects or 1,100, and whatever other teams hold.
/// </summary>
public static class MatchingBench
{
    public static async Task RunAsync(TimeSpan duration)
    {
        await using var host = new BenchHost(new() { ["Hangfire:Server:Enabled"] = "false" });
        await host.StartAsync();
        var factory = host.Services.GetRequiredService<IDbContextFactory<AppDbContext>>();
        var artifacts = host.Services.CreateScope().ServiceProvider.GetRequiredService<ArtifactService>();
        await artifacts.LogVersionAsync(host.Actor, BenchHost.Team, BenchHost.Project, "eval-set", new LogVersionRequest(Type: "dataset", Aliases: ["production"]));

        int teamId, projectId, collectionId, webhookId;
        await using (var db = await factory.CreateDbContextAsync())
        {
            var project = await db.Projects.SingleAsync(p => p.Name == BenchHost.Project);
            (teamId, projectId) = (project.TeamId, project.Id);
            collectionId = await db.ArtifactCollections.Where(c => c.ProjectId == projectId).Select(c => c.Id).SingleAsync();
            var webhook = new Webhook { TeamId = teamId, Name = "bench", Url = "https://hooks.example.com/", CreatedAt = DateTimeOffset.UtcNow, UpdatedAt = DateTimeOffset.UtcNow };
            db.Webhooks.Add(webhook);
            await db.SaveChangesAsync();
            webhookId = webhook.Id;
            // The project under test: 10 automations, half on new versions, half on aliases.
            db.Automations.AddRange(Enumerable.Range(0, 10).Select(i => NewAutomation(teamId, projectId, collectionId, webhookId, i)));
            await db.SaveChangesAsync();
        }

        // A throw-away round first, so JIT and EF query compilation do not land on the first case.
        await MeasureAsync(factory, projectId, duration, "warm-up");
        var small = await MeasureAsync(factory, projectId, duration, "10 automations in the database");

        await using (var db = await factory.CreateDbContextAsync())
        {
            // 10,000 more in 100 other projects of the same team.
            for (var p = 0; p < 100; p++)
            {
                var other = new Project { TeamId = teamId, Name = $"other-{p}", CreatedAt = DateTimeOffset.UtcNow, CreatedBy = "bench" };
                var otherCollection = new ArtifactCollection { Project = other, Name = "eval-set", Type = "dataset", CreatedAt = DateTimeOffset.UtcNow };
                db.Add(otherCollection);
                await db.SaveChangesAsync();
                db.Automations.AddRange(Enumerable.Range(0, 100).Select(i => NewAutomation(teamId, other.Id, otherCollection.Id, webhookId, i)));
                await db.SaveChangesAsync();
            }
        }

        var large = await MeasureAsync(factory, projectId, duration, "10 + 10,000 automations in the database");

        await using (var db = await factory.CreateDbContextAsync())
        {
            // 10 team-wide automations of the team: every event of every project is matched against them too.
            db.Automations.AddRange(Enumerable.Range(0, 10).Select(i => NewAutomation(teamId, null, null, webhookId, i)));
            await db.SaveChangesAsync();
        }

        var teamWide = await MeasureAsync(factory, projectId, duration, "… + 10 team-wide automations (101 projects)");

        await using (var db = await factory.CreateDbContextAsync())
        {
            // 1,000 more projects in the team, and 100 other teams with 10 team-wide automations each.
            db.Projects.AddRange(Enumerable.Range(0, 1000).Select(p => new Project { TeamId = teamId, Name = $"more-{p}", CreatedAt = DateTimeOffset.UtcNow, CreatedBy = "bench" }));
            for (var t = 0; t < 100; t++)
            {
                var team = new Features.Teams.Team { Slug = $"other-team-{t}", Name = $"Other {t}", CreatedAt = DateTimeOffset.UtcNow };
                db.Teams.Add(team);
                await db.SaveChangesAsync();
                var hook = new Webhook { TeamId = team.Id, Name = "bench", Url = "https://hooks.example.com/", CreatedAt = DateTimeOffset.UtcNow, UpdatedAt = DateTimeOffset.UtcNow };
                db.Webhooks.Add(hook);
                await db.SaveChangesAsync();
                db.Automations.AddRange(Enumerable.Range(0, 10).Select(i => NewAutomation(team.Id, null, null, hook.Id, i)));
            }

            await db.SaveChangesAsync();
        }

        var manyProjects = await MeasureAsync(factory, projectId, duration, "… + 1,000 more projects, 100 other teams with 10 team-wide each");

        await using (var db = await factory.CreateDbContextAsync())
        {
            var e = await db.ArtifactEvents.FirstAsync(x => x.ProjectId == projectId);
            await QueryPlans.PrintAsync(db.Database.GetDbConnection(), false, "SQLite query plan for the project's candidates:", db.Automations.Where(a => a.ProjectId == e.ProjectId && a.EventType == e.Type && a.DeletedAt == null && a.Enabled).ToQueryString());
            await QueryPlans.PrintAsync(db.Database.GetDbConnection(), false, "SQLite query plan for the team-wide candidates:", db.Automations.Where(a => a.TeamId == e.TeamId && a.ProjectId == null && a.EventType == e.Type && a.DeletedAt == null && a.Enabled).ToQueryString());
        }

        Console.WriteLine();
        Console.WriteLine("| database | matches/s | p50 µs | p99 µs | ratio to 10 automations |");
        Console.WriteLine("| --- | ---: | ---: | ---: | ---: |");
        foreach (var r in new[] { small, large, teamWide, manyProjects })
        {
            Console.WriteLine($"| {r.Name} | {r.PerSecond:0} | {r.Percentile(50) * 1000:0} | {r.Percentile(99) * 1000:0} | {r.PerSecond / small.PerSecond:0.00} |");
        }

        Console.WriteLine();
        Console.WriteLine($"Team-wide: 1,101 projects against 101 projects, ratio {manyProjects.PerSecond / teamWide.PerSecond:0.00} (should stay near 1).");
    }

    /// <summary>Half on new versions, half on alias patterns; <paramref name="projectId"/> null: team-wide (no collection).</summary>
    private static Automation NewAutomation(int teamId, int? projectId, int? collectionId, int webhookId, int i) => new()
    {
        TeamId = teamId,
        ProjectId = projectId,
        Name = $"automation-{i}",
        EventType = i % 2 == 0 ? ArtifactEventTypes.LinkArtifact : ArtifactEventTypes.AddArtifactAlias,
        CollectionId = i % 2 == 0 ? collectionId : null,
        AliasPattern = i % 2 == 0 ? null : i % 4 == 1 ? "production" : "test-set-.*",
        ActionType = ActionTypes.Webhook,
        WebhookId = webhookId,
        WebhookName = "bench",
        PayloadTemplate = PayloadPresets.Default.Template,
        CreatedAt = DateTimeOffset.UtcNow,
        UpdatedAt = DateTimeOffset.UtcNow,
    };

    private static async Task<Result> MeasureAsync(IDbContextFactory<AppDbContext> factory, int projectId, TimeSpan duration, string name)
    {
        List<ArtifactEvent> events;
        await using (var db = await factory.CreateDbContextAsync())
        {
            events = await db.ArtifactEvents.AsNoTracking().Where(e => e.ProjectId == projectId).ToListAsync();
        }

        var matched = 0;
        var result = await Measure.LoopAsync(name, 1, duration, async _ =>
        {
            await using var db = await factory.CreateDbContextAsync();
            foreach (var e in events)
            {
                matched += (await AutomationMatcher.MatchAsync(db, e, default)).Count;
            }
        });
        Debug.Assert(matched > 0);
        // One operation above matched every event of the project; report per event.
        return result with { Operations = result.Operations * events.Count, LatenciesMs = result.LatenciesMs.Select(l => l / events.Count).ToArray() };
    }
}
