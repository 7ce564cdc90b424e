using Automations.Data;
using Automations.Features.Audit;
using Automations.Features.Artifacts;
using Automations.Features.Automations.Actions;
using Automations.Features.Secrets;
using Automations.Features.Teams;
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

    /// <summary>A list page holds at most this many automations: a project's whole list at the default limit.</summary>
    public const int MaxListPage = 1000;

    /// <summary>The automations of a project (the first <see cref="MaxListPage"/> by name).</summary>
    public async Task<IReadOnlyList<AutomationSummary>> ListAsync(Actor actor, string team, string project, CancellationToken ct = default) =>
        (await ListPageAsync(actor, team, project, new PageRequest(PageSize: MaxListPage), ct)).Items;

    /// <summary>A page of a project's automations by name; the cursor (<c>after</c>) is the last name of the page before.</summary>
    public async Task<Paged<AutomationSummary>> ListPageAsync(Actor actor, string team, string project, PageRequest? paging, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var scope = await ScopeAsync(db, actor, team, project, write: false, ct);
        var page = await InScope(Query(db), scope).PageAsync(a => a.Name, paging, rows => rows, a => a.Name, ct, descending: false, maxPageSize: MaxListPage);
        return Summarised(page, await SummariseAsync(db, scope.Team.TeamId, page.Items, ct));
    }

    /// <summary>Every automation of a team, project and team scope, as the team's automations page filters them (first page).</summary>
    public async Task<IReadOnlyList<AutomationSummary>> ListTeamAsync(Actor actor, string team, AutomationFilter? filter = null, CancellationToken ct = default) =>
        (await ListTeamPageAsync(actor, team, filter, new PageRequest(PageSize: MaxListPage), ct)).Items;

    /// <summary>
    /// A page of the team's automations by name (an index on the team, name and id serves the order, so a page costs
    /// the same with ten automations or ten thousand). Pages by number (<c>page</c>): names repeat across scopes.
    /// </summary>
    public async Task<Paged<AutomationSummary>> ListTeamPageAsync(Actor actor, string team, AutomationFilter? filter, PageRequest? paging, CancellationToken ct = default)
    {
        filter ??= new AutomationFilter();
        var request = (paging ?? new PageRequest()).Normalized(MaxListPage);
        if (request.After is not null)
        {
            throw new InputException("after", "The team's automations page by number: use ?page=.");
        }

        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var access = await TeamService.GetAccessAsync(db, actor, team, ct);
        var query = Query(db).Where(a => a.TeamId == access.TeamId);
        query = filter.Scope switch
        {
            AutomationFilter.TeamScope => query.Where(a => a.ProjectId == null),
            AutomationFilter.ProjectScope => query.Where(a => a.ProjectId != null),
            null or "" => query,
            _ => throw new InputException("scope", $"Scope must be {AutomationFilter.TeamScope} or {AutomationFilter.ProjectScope}."),
        };
        if (!string.IsNullOrWhiteSpace(filter.Project))
        {
            query = query.Where(a => a.Project!.Name == filter.Project.Trim());
        }
        if (!string.IsNullOrWhiteSpace(filter.ActionType))
        {
            query = query.Where(a => a.ActionType == filter.ActionType.Trim());
        }
        if (filter.Enabled is { } enabled)
        {
            query = query.Where(a => a.Enabled == enabled);
        }
        if (!string.IsNullOrWhiteSpace(filter.Search))
        {
            var search = filter.Search.Trim().ToLowerInvariant();
            query = query.Where(a => a.Name.ToLower().Contains(search) || a.Description.ToLower().Contains(search));
        }

        var (total, capped) = await query.CountCappedAsync(ct);
        var rows = await query.OrderBy(a => a.Name).ThenBy(a => a.Id)
            .Skip((request.Page - 1) * request.PageSize).Take(request.PageSize).ToListAsync(ct);
        return new Paged<AutomationSummary>(await SummariseAsync(db, access.TeamId, rows, ct), request.Page, request.PageSize, total) { TotalCapped = capped };
    }

    /// <summary>How many live, enabled team-wide automations also watch every project of the team.</summary>
    public async Task<int> CountTeamWideAsync(Actor actor, string team, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var access = await TeamService.GetAccessAsync(db, actor, team, ct);
        return await db.Automations.CountAsync(a => a.TeamId == access.TeamId && a.ProjectId == null && a.DeletedAt == null && a.Enabled, ct);
    }

    /// <summary>An automation of a project, or with <paramref name="project"/> null, a team-scoped one.</summary>
    public async Task<AutomationDetail> GetAsync(Actor actor, string team, string? project, int id, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var scope = await ScopeAsync(db, actor, team, project, write: false, ct);
        var row = await InScope(Query(db), scope).FirstOrDefaultAsync(a => a.Id == id, ct)
            ?? throw new NotFoundException($"Automation {id} not found.");
        var summary = (await SummariseAsync(db, scope.Team.TeamId, [row], ct))[0];
        return row.ActionType == ActionTypes.Job
            ? new AutomationDetail(summary, null, null, new LaunchAction(row.Job?.Name ?? row.JobName, row.JobVersion, row.Queue?.Name ?? row.QueueName, row.DestinationProject?.Name, row.PayloadTemplate))
            : new AutomationDetail(summary, row.WebhookId, row.PayloadTemplate, Action: actions.Get(row.ActionType).Settings(row));
    }

    /// <summary>
    /// Members and admins of the team may manage a project's automations; only team admins create and change
    /// team-scoped ones (<paramref name="project"/> null), which act on every project.
    /// </summary>
    public async Task<AutomationDetail> CreateAsync(Actor actor, string team, string? project, AutomationInput input, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var scope = await ScopeAsync(db, actor, team, project, write: true, ct);
        var now = clock.GetUtcNow();
        var automation = new Automation { TeamId = scope.Team.TeamId, ProjectId = scope.ProjectId, CreatedAt = now, CreatedBy = actor.UserName };
        await ApplyAsync(db, scope, automation, input, actor, ct);
        var limit = options.CurrentValue.MaxPerProject;
        await using (var tx = await db.BeginWriteTransactionAsync(ct))
        {
            // The limit is counted and kept under one lock per project (or team scope), across instances.
            await db.LockAsync(scope.ProjectId is { } projectId ? $"project-automations:{projectId}" : $"team-automations:{scope.Team.TeamId}", ct);
            if (await InScope(db.Automations, scope).CountAsync(a => a.DeletedAt == null, ct) >= limit)
            {
                throw new InputException("project", $"{scope.Label} already has {limit} automations, the most it may have; delete one first.");
            }

            db.Automations.Add(automation);
            await SaveAsync(db, automation.Name, scope, ct);
            Audit(db, actor, scope, AuditActions.AutomationCreated, automation,
                new() { ["eventType"] = automation.EventType, ["actionType"] = automation.ActionType, ["enabled"] = automation.Enabled });
            await db.SaveChangesAsync(ct);
            await tx.CommitAsync(ct);
        }

        return await GetAsync(actor, team, project, automation.Id, ct);
    }

    public async Task<AutomationDetail> UpdateAsync(Actor actor, string team, string? project, int id, AutomationInput input, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var scope = await ScopeAsync(db, actor, team, project, write: true, ct);
        var automation = await LiveAsync(db, scope, id, ct);
        await ApplyAsync(db, scope, automation, input, actor, ct);
        Audit(db, actor, scope, AuditActions.AutomationUpdated, automation, AuditLog.Changes(db.Entry(automation), AuditedFields));
        await SaveAsync(db, automation.Name, scope, ct);
        return await GetAsync(actor, team, project, id, ct);
    }

    public async Task SetEnabledAsync(Actor actor, string team, string? project, int id, bool enabled, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var scope = await ScopeAsync(db, actor, team, project, write: true, ct);
        var automation = await LiveAsync(db, scope, id, ct);
        automation.Enabled = enabled;
        automation.UpdatedAt = clock.GetUtcNow();
        automation.UpdatedBy = actor.UserName;
        Audit(db, actor, scope, enabled ? AuditActions.AutomationEnabled : AuditActions.AutomationDisabled, automation);
        await db.SaveChangesAsync(ct);
    }

    /// <summary>Hides the automation and stops new runs. Runs already started keep their own snapshot.</summary>
    public async Task DeleteAsync(Actor actor, string team, string? project, int id, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var scope = await ScopeAsync(db, actor, team, project, write: true, ct);
        var automation = await LiveAsync(db, scope, id, ct);
        automation.DeletedAt = clock.GetUtcNow();
        automation.Enabled = false;
        automation.UpdatedBy = actor.UserName;
        Audit(db, actor, scope, AuditActions.AutomationDeleted, automation);
        await db.SaveChangesAsync(ct);
    }

    /// <summary>
    /// Renders a draft template against the project's most recent event that the draft trigger matches
    /// (or clearly labelled sample values), with every secret shown as ••••.
    /// </summary>
    /// <remarks>With <paramref name="project"/> null (team scope), the team's most recent matching event of any project.</remarks>
    public async Task<PayloadPreview> PreviewAsync(Actor actor, string team, string? project, string eventType, string? collection, string? aliasPattern, string? template, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var scope = await ScopeAsync(db, actor, team, project, write: false, ct);
        var secretNames = await SecretService.NamesAsync(db, scope.Team.TeamId, ct);
        var errors = PayloadTemplate.Validate(template, secretNames);
        if (errors.Count > 0)
        {
            return new PayloadPreview(null, string.Join(" ", errors), false, "");
        }

        var masked = secretNames.ToDictionary(n => n, _ => Masked, StringComparer.Ordinal);
        var collectionId = string.IsNullOrWhiteSpace(collection) || scope.ProjectId is null ? null
            : await db.ArtifactCollections.Where(c => c.ProjectId == scope.ProjectId && c.Name == collection).Select(c => (int?)c.Id).FirstOrDefaultAsync(ct);
        var draft = new Trigger(eventType, collectionId, aliasPattern?.Trim(), scope.ProjectId is null);
        var events = scope.ProjectId is { } projectId ? db.ArtifactEvents.Where(e => e.ProjectId == projectId) : db.ArtifactEvents.Where(e => e.TeamId == scope.Team.TeamId);
        var recent = await events.Where(e => e.Type == eventType)
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

            var sample = TemplateContext.Sample(scope.Team.Slug, scope.ProjectName ?? "my-project", eventType, collection, masked);
            return new PayloadPreview(PayloadTemplate.Render(template!, sample), null, true, $"sample values: no matching event in this {(scope.ProjectId is null ? "team" : "project")} yet");
        }
        catch (TemplateException ex)
        {
            return new PayloadPreview(null, ex.Message, false, "");
        }
    }

    /// <summary>
    /// The live automations (project/name, or name for team-wide ones) that use <paramref name="use"/>, for the warning
    /// before it is deleted. At most 20 are named, then "and N more".
    /// </summary>
    public async Task<string> UsedByAsync(Actor actor, string team, AutomationUse use, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var access = await TeamService.GetAccessAsync(db, actor, team, ct);
        var query = db.Automations.Where(a => a.TeamId == access.TeamId && a.DeletedAt == null);
        query = use switch
        {
            { WebhookId: { } webhook } => query.Where(a => a.WebhookId == webhook),
            { Job: { } job } => query.Where(a => a.Job!.Name == job),
            { Queue: { } queue } => query.Where(a => a.Queue!.Name == queue),
            { SlackIntegrationId: { } slack } => query.Where(a => a.Settings != null && a.Settings.Contains("\"integrationId\":" + slack + ",")),
            { Secret: { } secret } => query.Where(a => a.PayloadTemplate != null && a.PayloadTemplate.Contains("${" + secret + "}")),
            _ => query.Where(a => false),
        };
        var names = await query.OrderBy(a => a.Project!.Name).ThenBy(a => a.Name).Take(21)
            .Select(a => a.Project == null ? a.Name + " (team-wide)" : a.Project.Name + "/" + a.Name).ToListAsync(ct);
        if (names.Count == 0)
        {
            return "";
        }

        var total = names.Count > 20 ? await query.CountAsync(ct) : names.Count;
        return $" {(total == 1 ? "This automation uses it and will show as Broken" : $"These {total} automations use it and will show as Broken")}: "
               + string.Join(", ", names.Take(20)) + (total > 20 ? $" and {total - 20} more" : "") + ".";
    }

    /// <summary>The wizard's action choices, each with why the team cannot use it yet (or null).</summary>
    public async Task<IReadOnlyList<ActionChoice>> ActionChoicesAsync(Actor actor, string team, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var access = await TeamService.GetAccessAsync(db, actor, team, ct);
        var choices = new List<ActionChoice>();
        foreach (var type in actions.Types)
        {
            var action = actions.Get(type);
            choices.Add(new ActionChoice(type, action.WizardLabel, action.WizardStep, await action.UnavailableAsync(db, access.TeamId, ct)));
        }

        return choices;
    }

    public async Task<IReadOnlyList<string>> SecretNamesAsync(Actor actor, string team, CancellationToken ct = default) =>
        (await secrets.ListAsync(actor, team, ct)).Select(s => s.Name).ToList();

    /// <summary>Where an automation lives: a project, or (ProjectId null) the whole team.</summary>
    private sealed record Scope(TeamAccess Team, int? ProjectId, string? ProjectName)
    {
        public string Label => ProjectName is null ? $"Team '{Team.Slug}'" : $"Project '{ProjectName}'";
    }

    /// <summary>
    /// A project's automations: any member. Team-scoped ones: any member reads them, only admins write them (they
    /// act on every project, as the team's webhooks and secrets, which only admins manage).
    /// </summary>
    private static async Task<Scope> ScopeAsync(AppDbContext db, Actor actor, string team, string? project, bool write, CancellationToken ct)
    {
        if (project is not null)
        {
            var access = await ArtifactService.ProjectAccessAsync(db, actor, team, project, ct);
            return new Scope(access.Team, access.ProjectId, access.Name);
        }

        return new Scope(write ? await TeamService.RequireAdminAsync(db, actor, team, ct) : await TeamService.GetAccessAsync(db, actor, team, ct), null, null);
    }

    private static IQueryable<Automation> InScope(IQueryable<Automation> automations, Scope scope) => scope.ProjectId is { } projectId
        ? automations.Where(a => a.ProjectId == projectId)
        : automations.Where(a => a.TeamId == scope.Team.TeamId && a.ProjectId == null);

    private static IQueryable<Automation> Query(AppDbContext db) =>
        db.Automations.Include(a => a.Project).Include(a => a.Collection).Include(a => a.Webhook).Include(a => a.Job).Include(a => a.Queue).Include(a => a.DestinationProject)
            .Where(a => a.DeletedAt == null);

    private static async Task<Automation> LiveAsync(AppDbContext db, Scope scope, int id, CancellationToken ct) =>
        await InScope(db.Automations, scope).FirstOrDefaultAsync(a => a.Id == id && a.DeletedAt == null, ct)
        ?? throw new NotFoundException($"Automation {id} not found.");

    private static Paged<AutomationSummary> Summarised(Paged<Automation> page, IReadOnlyList<AutomationSummary> items) =>
        new(items, page.Page, page.PageSize, page.Total) { TotalCapped = page.TotalCapped, Next = page.Next };

    /// <summary>The list's view of each automation, its action described by its type (one call per type), and its last run.</summary>
    private async Task<IReadOnlyList<AutomationSummary>> SummariseAsync(AppDbContext db, int teamId, IReadOnlyList<Automation> rows, CancellationToken ct)
    {
        var lookup = new ActionLookup(db, teamId, await SecretService.NamesAsync(db, teamId, ct));
        var views = new Dictionary<int, ActionView>();
        foreach (var group in rows.GroupBy(a => a.ActionType))
        {
            var list = group.ToList();
            var described = await actions.Get(group.Key).DescribeAsync(lookup, list, ct);
            for (var i = 0; i < list.Count; i++)
            {
                views[list[i].Id] = described[i];
            }
        }

        // Each automation's newest run is one seek on (AutomationId, Id), however many runs it has: a scalar subquery
        // for its id (a subquery returning several columns becomes a window over every run), then those runs by key.
        var ids = rows.Select(a => a.Id).ToList();
        var lastRunIds = await db.Automations.Where(a => ids.Contains(a.Id))
            .Select(a => db.AutomationRuns.Where(r => r.AutomationId == a.Id).OrderByDescending(r => r.Id).Select(r => (long?)r.Id).FirstOrDefault())
            .Where(id => id != null).Select(id => id!.Value).ToListAsync(ct);
        var lastRuns = await db.AutomationRuns.Where(r => lastRunIds.Contains(r.Id))
            .Select(r => new { r.AutomationId, r.Status, At = r.CompletedAt ?? r.UpdatedAt }).ToDictionaryAsync(r => r.AutomationId, ct);
        return rows.Select(a =>
        {
            var action = views[a.Id];
            var problem = action.Problem
                ?? (a.EventType == ArtifactEventTypes.LinkArtifact && a.Collection is null && !a.IsTeamScoped ? "Broken: its collection was deleted." : null);
            var summary = new AutomationSummary(a.Id, a.Name, a.Description, a.EventType, a.Collection?.Name, a.AliasPattern, a.ActionType,
                action.Name, action.Queue, a.Enabled, problem, null, null, a.CreatedAt, a.CreatedBy)
            {
                Project = a.Project?.Name,
                ActionDisplay = actions.DisplayName(a.ActionType),
            };
            return lastRuns.TryGetValue(a.Id, out var last) ? summary with { LastRunStatus = last.Status.ToString(), LastRunAt = last.At } : summary;
        }).ToList();
    }

    private async Task ApplyAsync(AppDbContext db, Scope scope, Automation automation, AutomationInput input, Actor actor, CancellationToken ct)
    {
        var name = TextRules.Require(input.Name, "name", multiline: false)?.Trim() ?? "";
        if (name.Length is 0 or > MaxNameLength)
        {
            throw new InputException("name", $"Automation name is required (at most {MaxNameLength} characters).");
        }

        var description = ArtifactRules.Description(input.Description);
        if (Trigger.Check(input.EventType, input.Collection, input.AliasPattern, scope.ProjectId is null) is var (field, message))
        {
            throw new InputException(field, message);
        }

        int? collectionId = null;
        if (!string.IsNullOrWhiteSpace(input.Collection))
        {
            collectionId = await db.ArtifactCollections.Where(c => c.ProjectId == scope.ProjectId && c.Name == input.Collection.Trim())
                .Select(c => (int?)c.Id).FirstOrDefaultAsync(ct)
                ?? throw new InputException("collection", $"The project has no collection '{input.Collection.Trim()}'.");
        }

        var pattern = input.EventType == ArtifactEventTypes.AddArtifactAlias ? input.AliasPattern?.Trim() : null;

        if (!actions.Exists(input.ActionType))
        {
            throw new InputException("actionType", $"Action type must be {string.Join(" or ", actions.Types)}.");
        }

        await actions.Get(input.ActionType).ApplyAsync(new ActionInput(db, scope.Team.TeamId, scope.ProjectName, automation, input), ct);

        if (await InScope(db.Automations, scope).AnyAsync(a => a.Name == name && a.DeletedAt == null && a.Id != automation.Id, ct))
        {
            throw NameTaken(name, scope);
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

    /// <summary>What an edit of an automation records (old and new values): its trigger and action, never a secret's value (templates hold references).</summary>
    private static readonly string[] AuditedFields =
    [
        nameof(Automation.Name), nameof(Automation.Description), nameof(Automation.EventType), nameof(Automation.CollectionId), nameof(Automation.AliasPattern),
        nameof(Automation.ActionType), nameof(Automation.WebhookId), nameof(Automation.PayloadTemplate), nameof(Automation.JobId), nameof(Automation.JobVersion),
        nameof(Automation.QueueId), nameof(Automation.DestinationProjectId), nameof(Automation.Settings), nameof(Automation.Enabled),
    ];

    /// <summary>Records a change to an automation, with the project it belongs to (or "team" scope).</summary>
    private void Audit(AppDbContext db, Actor actor, Scope scope, string action, Automation automation, Dictionary<string, object?>? details = null)
    {
        details ??= [];
        details[scope.ProjectName is null ? "scope" : "project"] = scope.ProjectName ?? "team";
        db.Record(clock, actor, scope.Team.TeamId, action, AuditTarget.Of(AuditTargets.Automation, automation.Id, automation.Name), details);
    }

    private static ConflictException NameTaken(string name, Scope scope) =>
        new("name", $"An automation named '{name}' already exists in this {(scope.ProjectId is null ? "team (team-scoped)" : "project")}.");

    private static async Task SaveAsync(AppDbContext db, string name, Scope scope, CancellationToken ct)
    {
        try
        {
            await db.SaveChangesAsync(ct);
        }
        catch (DbUpdateException ex) when (ex.IsUniqueViolation())
        {
            throw NameTaken(name, scope);
        }
    }
}
