using Automations.Features.Artifacts;
using Automations.Features.Automations;
using Automations.Features.Dispatch;
using Automations.Features.Webhooks;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Automations.Tests.TestInfrastructure;

/// <summary>What a webhook scenario made: the webhook and the automation that calls it.</summary>
public sealed record WebhookScenario(int WebhookId, int AutomationId);

/// <summary>Set-ups many tests share, in one call each, so a test shows only its case.</summary>
public static class Scenarios
{
    /// <summary>
    /// In <paramref name="team"/>: project <c>vision</c> with collection <paramref name="collection"/>, a webhook to
    /// <paramref name="url"/> (signed with the team secret <paramref name="secretName"/> if given), and a member's
    /// automation "Notify" that calls it with <paramref name="template"/> (default: the Default preset) for every new version.
    /// </summary>
    public static async Task<WebhookScenario> WebhookAutomationAsync(this IServiceProvider services, TeamFixture team, string url,
        string collection = "eval-set", string? template = null, string? secretName = null)
    {
        using var scope = services.CreateScope();
        var provider = scope.ServiceProvider;
        var hook = await provider.GetRequiredService<WebhookService>().CreateAsync(team.Admin, team.Slug, new WebhookInput("Receiver", url, secretName, null));
        var artifacts = provider.GetRequiredService<ArtifactService>();
        await artifacts.CreateProjectAsync(team.Admin, team.Slug, "vision", null);
        await artifacts.CreateCollectionAsync(team.Admin, team.Slug, "vision", collection, "dataset", null);
        var automation = await provider.GetRequiredService<AutomationService>().CreateAsync(team.Member, team.Slug, "vision", new AutomationInput(
            "Notify", null, ArtifactEventTypes.LinkArtifact, collection, null, ActionTypes.Webhook, hook.Id, template ?? PayloadPresets.Default.Template));
        return new WebhookScenario(hook.Id, automation.Summary.Id);
    }

    /// <summary>
    /// What the automation wizard needs to offer every choice: project <c>vision</c> with a <c>dataset</c> collection
    /// <c>eval-set</c> holding v0, and a team webhook "Slack alerts" (to a port where nothing listens).
    /// </summary>
    public static async Task WizardReadyProjectAsync(this IServiceProvider services, TeamFixture team)
    {
        var artifacts = services.GetRequiredService<ArtifactService>();
        await artifacts.CreateProjectAsync(team.Admin, team.Slug, "vision", null);
        await artifacts.LogVersionAsync(team.Admin, team.Slug, "vision", "eval-set", new LogVersionRequest("first", Type: "dataset"));
        await services.GetRequiredService<WebhookService>()
            .CreateAsync(team.Admin, team.Slug, new WebhookInput("Slack alerts", "http://localhost:9/slack", null, null));
    }

    /// <summary>A member logs a new version of <c>vision/</c><paramref name="collection"/>: the event that triggers the scenario's automation.</summary>
    public static async Task<VersionDetail> LogVersionAsync(this IServiceProvider services, TeamFixture team, string collection = "eval-set", LogVersionRequest? request = null)
    {
        using var scope = services.CreateScope();
        return (await scope.ServiceProvider.GetRequiredService<ArtifactService>()
            .LogVersionAsync(team.Member, team.Slug, "vision", collection, request ?? new LogVersionRequest())).Version;
    }

    /// <summary>One attempt of a run, as a Hangfire worker makes it.</summary>
    public static async Task DeliverAsync(this TestServices services, long runId)
    {
        using var scope = services.Provider.CreateScope();
        await scope.ServiceProvider.GetRequiredService<DeliveryJob>().RunAsync(runId, default);
    }

    /// <summary>
    /// Makes <paramref name="userId"/> an instance administrator outright. Registration promotes only the first account,
    /// and tests sharing one app cannot know whether another test registered first.
    /// </summary>
    public static async Task MakeInstanceAdminAsync(this IServiceProvider services, string userId)
    {
        await using var db = await services.GetRequiredService<IDbContextFactory<Automations.Data.AppDbContext>>().CreateDbContextAsync();
        await db.Users.Where(u => u.Id == userId).ExecuteUpdateAsync(s => s.SetProperty(u => u.IsInstanceAdmin, true));
    }

    /// <summary>A run as stored, with its attempts.</summary>
    public static async Task<AutomationRun> StoredRunAsync(this TestServices services, long runId)
    {
        await using var db = await services.DbFactory.CreateDbContextAsync();
        return await db.AutomationRuns.Include(r => r.Attempts).SingleAsync(r => r.Id == runId);
    }
}
