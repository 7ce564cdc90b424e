using Automations.Data;
using Automations.Features.Artifacts;
using Automations.Features.Automations.Actions;
using Automations.Features.Secrets;
using Automations.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Automations.Features.Automations;

/// <summary>Configuration section "Automations".</summary>
public sealed class AutomationOptions
{
    public const string Section = "Automations";

    /// <summary>Live automations one project may hold: every event of the project is matched against them.</summary>
    public int MaxPerProject { get; set; } = 1000;
}

public sealed class AutomationService(IDbContextFactory<AppDbContext> dbFactory, SecretService secrets, AutomationActions actions, IOptionsMonitor<AutomationOptions> options, TimeProvider clock)
{
    public const int MaxNameLength = 100;
    public const int MaxPatternLength = 200;
    public const int MaxTemplateBytes = 256 * 1024;
    public const string Masked = "••••";

    public async Task<IReadOnlyList<AutomationSummary>> ListAsync(Actor actor, string team, string project, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var access = await ArtifactService.ProjectAccessAsync(db, actor, team, project, ct);
        var rows = await Query(db).Where(a => a.ProjectId == access.ProjectId).OrderBy(a => a.Name).ToListAsync(ct);
        var secretNames = await SecretService.NamesAsync(db, access.Team.TeamId, ct);
        var ids = rows.Select(a => a.Id).ToList();
        var lastRunIds = await db.AutomationRuns.Where(r => ids.Contains(r.AutomationId))
            .GroupBy(r => r.AutomationId).Select(g => g.Max(r => r.Id)).ToListAsync(ct);
        var lastRuns = await db.AutomationRuns.Where(r => lastRunIds.Contains(r.Id))
            .Select(r => new { r.AutomationId, r.Status, At = r.CompletedAt ?? r.UpdatedAt }).ToDictionaryAsync(r => r.AutomationId, ct);
        return rows.Select(a => Summarise(a, secretNames) is var summary && lastRuns.TryGetValue(a.Id, out var last)
            ? summary with { LastRunStatus = last.Status.ToString(), LastRunAt = last.At }
            : summary).ToList();
    }

    public async Task<AutomationDetail> GetAsync(Actor actor, string team, string project, int id, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var access = await ArtifactService.ProjectAccessAsync(db, actor, team, project, ct);
        var row = await Query(db).FirstOrDefaultAsync(a => a.ProjectId == access.ProjectId && a.Id == id, ct)
            ?? throw new NotFoundException($"Automation {id} not found.");
        var summary = Summarise(row, await SecretService.NamesAsync(db, access.Team.TeamId, ct));
        return row.ActionType == ActionTypes.Job
            ? new AutomationDetail(summary, null, null, new LaunchAction(row.Job?.Name ?? row.JobName, row.JobVersion, row.Queue?.Name ?? row.QueueName, row.DestinationProject?.Name, row.PayloadTemplate))
            : new AutomationDetail(summary, row.WebhookId, row.PayloadTemplate);
    }

    /// <summary>Members and admins of the team may manage a project's automations.</summary>
    public async Task<AutomationDetail> CreateAsync(Actor actor, string team, string project, AutomationInput input, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var access = await ArtifactService.ProjectAccessAsync(db, actor, team, project, ct);
        var now = clock.GetUtcNow();
        var automation = new Automation { ProjectId = access.ProjectId, CreatedAt = now, CreatedBy = actor.UserName };
        await ApplyAsync(db, access, automation, input, actor, ct);
        var limit = options.CurrentValue.MaxPerProject;
        await using (var tx = await db.BeginWriteTransactionAsync(ct))
        {
            // The limit is counted and kept under one lock per project, across instances.
            await db.LockAsync($"project-automations:{access.ProjectId}", ct);
            if (await db.Automations.CountAsync(a => a.ProjectId == access.ProjectId && a.DeletedAt == null, ct) >= limit)
            {
                throw new InputException("project", $"Project '{access.Name}' already has {limit} automations, the most a project may have; delete one first.");
            }

            db.Automations.Add(automation);
            await SaveAsync(db, automation.Name, ct);
            await tx.CommitAsync(ct);
        }

        return await GetAsync(actor, team, project, automation.Id, ct);
    }

    public async Task<AutomationDetail> UpdateAsync(Actor actor, string team, string project, int id, AutomationInput input, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var access = await ArtifactService.ProjectAccessAsync(db, actor, team, project, ct);
        var automation = await LiveAsync(db, access, id, ct);
        await ApplyAsync(db, access, automation, input, actor, ct);
        await SaveAsync(db, automation.Name, ct);
        return await GetAsync(actor, team, project, id, ct);
    }

    public async Task SetEnabledAsync(Actor actor, string team, string project, int id, bool enabled, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var access = await ArtifactService.ProjectAccessAsync(db, actor, team, project, ct);
        var automation = await LiveAsync(db, access, id, ct);
        automation.Enabled = enabled;
        automation.UpdatedAt = clock.GetUtcNow();
        automation.UpdatedBy = actor.UserName;
        await db.SaveChangesAsync(ct);
    }

    /// <summary>Hides the automation and stops new runs. Runs already started keep their own snapshot.</summary>
    public async Task DeleteAsync(Actor actor, string team, string project, int id, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var access = await ArtifactService.ProjectAccessAsync(db, actor, team, project, ct);
        var automation = await LiveAsync(db, access, id, ct);
        automation.DeletedAt = clock.GetUtcNow();
        automation.Enabled = false;
        automation.UpdatedBy = actor.UserName;
        await db.SaveChangesAsync(ct);
    }

    /// <summary>
    /// Renders a draft template against the project's most recent event that the draft trigger matches
    /// (or clearly labelled sample values), with every secret shown as ••••.
    /// </summary>
    public async Task<PayloadPreview> PreviewAsync(Actor actor, string team, string project, string eventType, string? collection, string? aliasPattern, string? template, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var access = await ArtifactService.ProjectAccessAsync(db, actor, team, project, ct);
        var secretNames = await SecretService.NamesAsync(db, access.Team.TeamId, ct);
        var errors = PayloadTemplate.Validate(template, secretNames);
        if (errors.Count > 0)
        {
            return new PayloadPreview(null, string.Join(" ", errors), false, "");
        }

        var masked = secretNames.ToDictionary(n => n, _ => Masked, StringComparer.Ordinal);
        var collectionId = string.IsNullOrWhiteSpace(collection) ? null
            : await db.ArtifactCollections.Where(c => c.ProjectId == access.ProjectId && c.Name == collection).Select(c => (int?)c.Id).FirstOrDefaultAsync(ct);
        var draft = new Trigger(eventType, collectionId, aliasPattern?.Trim());
        var recent = await db.ArtifactEvents.Where(e => e.ProjectId == access.ProjectId && e.Type == eventType)
            .OrderByDescending(e => e.Id).Take(500)
            .Select(e => new { e.Id, e.CollectionId, e.Alias, e.Type })
            .ToListAsync(ct);
        var match = recent.FirstOrDefault(e => draft.Matches(e.Type, e.CollectionId, e.Alias));

        try
        {
            if (match is not null)
            {
                var values = await TemplateContext.ForEventAsync(db, match.Id, masked, ct);
                return new PayloadPreview(PayloadTemplate.Render(template!, values), null, false, $"event #{match.Id}: {values.Variables["artifact_version_string"]}");
            }

            var sample = TemplateContext.Sample(access.Team.Slug, access.Name, eventType, collection, masked);
            return new PayloadPreview(PayloadTemplate.Render(template!, sample), null, true, "sample values: no matching event in this project yet");
        }
        catch (TemplateException ex)
        {
            return new PayloadPreview(null, ex.Message, false, "");
        }
    }

    public async Task<IReadOnlyList<string>> SecretNamesAsync(Actor actor, string team, CancellationToken ct = default) =>
        (await secrets.ListAsync(actor, team, ct)).Select(s => s.Name).ToList();

    private static IQueryable<Automation> Query(AppDbContext db) =>
        db.Automations.Include(a => a.Collection).Include(a => a.Webhook).Include(a => a.Job).Include(a => a.Queue).Include(a => a.DestinationProject)
            .Where(a => a.DeletedAt == null);

    private static async Task<Automation> LiveAsync(AppDbContext db, ProjectAccess access, int id, CancellationToken ct) =>
        await db.Automations.FirstOrDefaultAsync(a => a.ProjectId == access.ProjectId && a.Id == id && a.DeletedAt == null, ct)
        ?? throw new NotFoundException($"Automation {id} not found.");

    private AutomationSummary Summarise(Automation a, IReadOnlySet<string> secretNames)
    {
        var action = actions.Get(a.ActionType).Describe(a, secretNames);
        var problem = action.Problem
            ?? (a.EventType == ArtifactEventTypes.LinkArtifact && a.Collection is null ? "Broken: its collection was deleted." : null);
        return new AutomationSummary(a.Id, a.Name, a.Description, a.EventType, a.Collection?.Name, a.AliasPattern, a.ActionType,
            action.Name, action.Queue, a.Enabled, problem, null, null, a.CreatedAt, a.CreatedBy);
    }

    private async Task ApplyAsync(AppDbContext db, ProjectAccess access, Automation automation, AutomationInput input, Actor actor, CancellationToken ct)
    {
        var name = TextRules.Require(input.Name, "name", multiline: false)?.Trim() ?? "";
        if (name.Length is 0 or > MaxNameLength)
        {
            throw new InputException("name", $"Automation name is required (at most {MaxNameLength} characters).");
        }

        var description = ArtifactRules.Description(input.Description);
        if (Trigger.Check(input.EventType, input.Collection, input.AliasPattern) is var (field, message))
        {
            throw new InputException(field, message);
        }

        int? collectionId = null;
        if (!string.IsNullOrWhiteSpace(input.Collection))
        {
            collectionId = await db.ArtifactCollections.Where(c => c.ProjectId == access.ProjectId && c.Name == input.Collection.Trim())
                .Select(c => (int?)c.Id).FirstOrDefaultAsync(ct)
                ?? throw new InputException("collection", $"The project has no collection '{input.Collection.Trim()}'.");
        }

        var pattern = input.EventType == ArtifactEventTypes.AddArtifactAlias ? input.AliasPattern?.Trim() : null;

        if (!actions.Exists(input.ActionType))
        {
            throw new InputException("actionType", $"Action type must be {string.Join(" or ", actions.Types)}.");
        }

        await actions.Get(input.ActionType).ApplyAsync(new ActionInput(db, access, automation, input), ct);

        if (await db.Automations.AnyAsync(a => a.ProjectId == access.ProjectId && a.Name == name && a.DeletedAt == null && a.Id != automation.Id, ct))
        {
            throw new ConflictException("name", $"An automation named '{name}' already exists in this project.");
        }

        automation.Name = name;
        automation.Description = description;
        automation.EventType = input.EventType;
        automation.CollectionId = collectionId;
        automation.AliasPattern = pattern;
        automation.ActionType = input.ActionType;
        automation.Enabled = input.Enabled;
        automation.UpdatedAt = clock.GetUtcNow();
        automation.UpdatedBy = actor.UserName;
    }

    private static async Task SaveAsync(AppDbContext db, string name, CancellationToken ct)
    {
        try
        {
            await db.SaveChangesAsync(ct);
        }
        catch (DbUpdateException ex) when (ex.IsUniqueViolation())
        {
            throw new ConflictException("name", $"An automation named '{name}' already exists in this project.");
        }
    }
}
